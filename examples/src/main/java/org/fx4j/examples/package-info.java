/** Runnable examples of fx4j; the {@code fx} tool lives in {@code org.fx4j.examples.cli}. */
package org.fx4j.examples;
