package org.fx4j.fx;

/** The kinds of graph nodes, as in {@code torch.fx}. */
public enum NodeOp {
    /** A forward input. */
    PLACEHOLDER("placeholder"),
    /** A read of a parameter or buffer of a module that is traced through. */
    GET_ATTR("get_attr"),
    /** A call of an {@link org.fx4j.nn.FxFunction} (a functional op or an autowrapped function). */
    CALL_FUNCTION("call_function"),
    /** A method call on a symbolic {@code NDArray}. */
    CALL_METHOD("call_method"),
    /** A call of a leaf module. */
    CALL_MODULE("call_module"),
    /** The graph's outputs. */
    OUTPUT("output");

    private final String fxName;

    NodeOp(String fxName) {
        this.fxName = fxName;
    }

    /**
     * Returns the name {@code torch.fx} uses for this kind.
     *
     * @return e.g. {@code call_module}
     */
    public String fxName() {
        return fxName;
    }
}
