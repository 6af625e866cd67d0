/**
 * torchvision's {@code models.detection} R-CNN family on any fx4j backbone: {@link
 * org.fx4j.detection.rcnn.GeneralizedRCNNTransform}, {@link org.fx4j.detection.rcnn.AnchorGenerator},
 * {@link org.fx4j.detection.rcnn.RegionProposalNetwork}, {@link org.fx4j.detection.rcnn.RoIHeads} and
 * their heads, {@link org.fx4j.detection.rcnn.FasterRCNN} and {@link
 * org.fx4j.detection.rcnn.MaskRCNN}, with torchvision's constructor parameters, defaults and
 * state-dict keys. The backbone runs as a module (traced or eager); proposals and detections are
 * data-dependent and run eagerly, as in torchvision.
 */
package org.fx4j.detection.rcnn;
