/**
 * The detection stack on fx4j backbones, as torchvision builds it: {@link
 * org.fx4j.detection.FeaturePyramidNetwork} with its extra levels ({@link
 * org.fx4j.detection.LastLevelMaxPool}, {@link org.fx4j.detection.LastLevelP6P7}, the {@link
 * org.fx4j.detection.ExtraFPNBlock} extension point). Backbones with an FPN and Mask R-CNN follow.
 */
package org.fx4j.detection;
