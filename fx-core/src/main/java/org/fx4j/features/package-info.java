/**
 * The feature-extraction API, torchvision's {@code feature_extraction} in Java:
 * {@link org.fx4j.features.FeatureExtraction#getGraphNodeNames} and
 * {@link org.fx4j.features.FeatureExtraction#createFeatureExtractor}.
 */
package org.fx4j.features;
