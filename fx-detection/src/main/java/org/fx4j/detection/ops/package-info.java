/**
 * torchvision's {@code ops} that DJL's PyTorch engine lacks, built from NDArray primitives and
 * tested against torchvision 0.14.1: {@link org.fx4j.detection.ops.RoIAlign}, {@link
 * org.fx4j.detection.ops.MultiScaleRoIAlign}, {@link org.fx4j.detection.ops.Nms}, {@link
 * org.fx4j.detection.ops.BoxOps} and {@link org.fx4j.detection.ops.PasteMasks} (the bilinear resize
 * they share with fx-core's preprocessing is {@link org.fx4j.ops.BilinearResize}). Arithmetic that decides a result (a sampling position, an
 * IoU against a threshold) is done in the arrays' own precision, float or double, as torchvision's
 * kernels do it.
 */
package org.fx4j.detection.ops;
