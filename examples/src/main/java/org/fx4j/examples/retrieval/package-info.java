/**
 * A generated copy-detection benchmark for fx4j's descriptors: {@link
 * org.fx4j.examples.retrieval.CopyCollection} draws distinct synthetic images and edited copies of
 * some of them, {@link org.fx4j.examples.retrieval.CopyEdit} names the edits, and {@link
 * org.fx4j.examples.retrieval.CopyDetectionMetrics} scores a search of the copies among the
 * originals.
 */
package org.fx4j.examples.retrieval;
