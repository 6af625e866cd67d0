package org.fx4j.nn;

import java.util.Locale;

/**
 * A truth value computed from sizes ({@link SymInt#eq}): a plain boolean when the model runs, an
 * {@code eq} node while it is traced. {@link #check} is {@code torch._assert}.
 */
public final class SymBool extends SymValue {

    static final ScalarOp ASSERT = new ScalarOp("_assert", false, ScalarOp.Result.NONE, a -> {
        if (!(Boolean) a[0]) {
            Object[] formatArgs = new Object[a.length - 2];
            System.arraycopy(a, 2, formatArgs, 0, formatArgs.length);
            throw new IllegalArgumentException(String.format(Locale.ROOT, (String) a[1], formatArgs));
        }
        return null;
    });

    SymBool(boolean value, Recorder recorder, Object node) {
        super(value, recorder, node);
    }

    /**
     * A concrete truth value.
     *
     * @param value the value
     * @return the wrapper
     */
    public static SymBool of(boolean value) {
        return new SymBool(value, null, null);
    }

    /**
     * Returns the value.
     *
     * @return the value
     * @throws TraceException while tracing
     */
    public boolean value() {
        return (Boolean) raw();
    }

    /**
     * {@code torch._assert(this, message)}: fails with {@link IllegalArgumentException} if false, now
     * and in every run of a traced graph (an {@code _assert} node that pruning keeps). The message
     * is formatted ({@link String#format}) with {@code formatArgs} at the time of the check, so it
     * can show the actual sizes ({@code %d} for a {@link SymInt}, {@code %s} for a {@link SymShape}).
     *
     * @param message the error message
     * @param formatArgs values for the message's format specifiers
     */
    public void check(String message, Object... formatArgs) {
        Object[] args = new Object[formatArgs.length + 2];
        args[0] = this;
        args[1] = message;
        System.arraycopy(formatArgs, 0, args, 2, formatArgs.length);
        ASSERT.apply(args);
    }
}
