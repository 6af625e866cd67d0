/**
 * Running extractors on images the way torchvision's pretrained weights expect:
 * {@link org.fx4j.inference.ImageClassificationPreprocessing} (torchvision's {@code
 * ImageClassification} preset: resize, centre crop, normalise) as a DJL {@code Transform}.
 */
package org.fx4j.inference;
