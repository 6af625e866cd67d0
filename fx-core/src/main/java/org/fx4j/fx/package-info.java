/**
 * Symbolic tracing and the graph IR, after {@code torch.fx}: {@link org.fx4j.fx.Tracer} runs a
 * model on symbolic arrays and records a {@link org.fx4j.fx.Graph} of {@link org.fx4j.fx.Node}s with
 * torchvision's qualified names ({@link org.fx4j.fx.NodeNamer}), tracing DJL's containers
 * structurally ({@link org.fx4j.fx.DjlBlocks}); {@link
 * org.fx4j.fx.Graph#withOutputs} and dead-code elimination prune the graph; {@link
 * org.fx4j.fx.GraphModule} runs it as a DJL block (at inference with its batch norms folded into
 * their convolutions, residual sums made in place, and the graph's convolutional beginning run as one
 * oneDNN program in libtorch), and traces again inside another model. This package
 * depends on {@code org.fx4j.nn} (modules, functional ops, symbolic sizes), never the reverse: the
 * tracer reaches model code only through {@link org.fx4j.nn.ModuleCallHandler} and {@link
 * org.fx4j.nn.Recorder}.
 */
package org.fx4j.fx;
