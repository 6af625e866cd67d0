/**
 * Running extractors on images through DJL's inference API:
 * {@link org.fx4j.inference.ImageClassificationPreprocessing} (torchvision's {@code
 * ImageClassification} preset as a DJL {@code Transform}), {@link
 * org.fx4j.inference.DescriptorTranslator} (image to descriptor), {@link
 * org.fx4j.inference.FeatureMapTranslator} (image to named {@link org.fx4j.inference.FeatureMaps}), {@link
 * org.fx4j.inference.ImageInputs} (files and arrays as inputs) and {@link
 * org.fx4j.inference.ExtractorModels} (an extractor as a {@code ZooModel} through {@code Criteria}).
 */
package org.fx4j.inference;
