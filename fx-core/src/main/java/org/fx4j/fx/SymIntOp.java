package org.fx4j.fx;

import java.util.function.Function;

/**
 * The target of a node that computes an integer (a dimension size, arithmetic on sizes) or checks
 * one ({@code _assert}), recorded by {@link SymInt}.
 */
final class SymIntOp {

    private final String name;
    private final Function<Object[], Object> body;
    private final boolean sideEffect;

    SymIntOp(String name, Function<Object[], Object> body, boolean sideEffect) {
        this.name = name;
        this.body = body;
        this.sideEffect = sideEffect;
    }

    String name() {
        return name;
    }

    /** Whether the node must be kept by dead-code elimination although nothing reads it (a check). */
    boolean hasSideEffect() {
        return sideEffect;
    }

    Object compute(Object[] args) {
        return body.apply(args);
    }

    @Override
    public String toString() {
        return name;
    }
}
