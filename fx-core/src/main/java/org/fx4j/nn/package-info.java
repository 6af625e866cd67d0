/**
 * PyTorch-style modules on DJL: the {@link org.fx4j.nn.Module} base (a DJL block with PyTorch
 * child, parameter and buffer names and a per-module train/eval mode, read through {@link
 * org.fx4j.nn.ForwardContext}), leaf layers named as in {@code torch.nn} and torchvision ops, {@link
 * org.fx4j.nn.F} and {@link org.fx4j.nn.FxFunction}, functional ops that record themselves while
 * tracing, and the symbolic shape values {@link org.fx4j.nn.SymShape}, {@link org.fx4j.nn.SymInt}
 * and {@link org.fx4j.nn.SymBool} ({@code x.shape}, its sizes, {@code ==} and {@code torch._assert}).
 * This package knows nothing of the tracer: it reaches it only through {@link
 * org.fx4j.nn.ModuleCallHandler}, {@link org.fx4j.nn.Recorder} and {@link org.fx4j.nn.SymbolicArray}.
 */
package org.fx4j.nn;
