/**
 * JMH benchmarks of fx4j (extraction latency and throughput, tracing and building, detection,
 * training) and stand-alone probes: native memory of a forward ({@link org.fx4j.bench.ForwardMemoryProbe}),
 * checkpoint loading ({@link org.fx4j.bench.CheckpointLoadProbe}) and what the inference pass is worth
 * ({@link org.fx4j.bench.InferencePassProbe}).
 */
package org.fx4j.bench;
