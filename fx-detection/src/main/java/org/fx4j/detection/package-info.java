/**
 * The detection stack on fx4j backbones: box ops, RoIAlign, NMS, FeaturePyramidNetwork,
 * BackboneWithFPN and Mask R-CNN. This module is reserved in the reactor; its classes land with
 * the detection issue and nothing here is public API yet.
 */
package org.fx4j.detection;
