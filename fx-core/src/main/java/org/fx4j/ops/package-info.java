/**
 * Tensor operations shared by fx4j's modules that must reproduce PyTorch's kernels exactly: {@link
 * org.fx4j.ops.BilinearResize} ({@code F.interpolate(mode="bilinear", align_corners=False)} without
 * antialiasing) and {@link org.fx4j.ops.Precision} (float32 arithmetic reproduced step by step in
 * Java doubles).
 */
package org.fx4j.ops;
