/**
 * PyTorch-style modules on DJL: the {@link org.fx4j.nn.Module} base (a DJL block with PyTorch
 * child, parameter and buffer names and train/eval mode), leaf layers named as in {@code torch.nn}
 * and torchvision ops, and {@link org.fx4j.nn.F}, functional ops that record themselves while
 * tracing.
 */
package org.fx4j.nn;
