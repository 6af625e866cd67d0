/**
 * Symbolic tracing and the graph IR, after {@code torch.fx}: {@link org.fx4j.fx.Tracer} runs a
 * model on symbolic arrays and records a {@link org.fx4j.fx.Graph} of {@link org.fx4j.fx.Node}s with
 * torchvision's qualified names; {@link org.fx4j.fx.SymInt} keeps shape reads symbolic; {@link
 * org.fx4j.fx.Graph#withOutputs} and dead-code elimination prune the graph; {@link
 * org.fx4j.fx.GraphModule} runs it as a DJL block.
 */
package org.fx4j.fx;
