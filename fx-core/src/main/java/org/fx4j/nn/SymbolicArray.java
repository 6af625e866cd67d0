package org.fx4j.nn;

/**
 * Implemented by the symbolic arrays of a trace (proxies that also implement DJL's {@code NDArray}),
 * so that functional ops can tell them from real arrays without knowing the tracer.
 */
public interface SymbolicArray {

    /**
     * Returns the recorder of the trace this array belongs to.
     *
     * @return the recorder
     */
    Recorder recorder();
}
