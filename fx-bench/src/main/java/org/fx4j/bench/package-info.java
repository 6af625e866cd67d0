/** JMH benchmarks of fx4j: extraction latency and throughput, tracing and building. */
package org.fx4j.bench;
