/**
 * Detection data that runs offline: COCO instances files ({@link org.fx4j.detection.data.CocoDataset},
 * {@link org.fx4j.detection.data.MaskRle}), the synthetic shapes set that writes them ({@link
 * org.fx4j.detection.data.ShapesGenerator}), images as arrays ({@link
 * org.fx4j.detection.data.DetectionImages}), training samples ({@link
 * org.fx4j.detection.data.CocoSamples}) and the horizontal-flip augmentation.
 */
package org.fx4j.detection.data;
