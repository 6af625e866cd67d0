package org.fx4j.fx;

import ai.djl.ndarray.NDArray;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The target of a {@code call_method} node: a method of {@link NDArray}, or of its {@code
 * getNDArrayInternal()} view when {@link #internal()} is true.
 */
public final class MethodCall {

    private final Method method;
    private final boolean internal;

    MethodCall(Method method, boolean internal) {
        this.method = method;
        this.internal = internal;
    }

    /**
     * Returns the Java method.
     *
     * @return the method
     */
    public Method method() {
        return method;
    }

    /**
     * Returns whether the method belongs to the array's internal operator view.
     *
     * @return true for {@code NDArrayEx} methods
     */
    public boolean internal() {
        return internal;
    }

    /**
     * Invokes the method on a real receiver.
     *
     * @param receiver the array
     * @param args the other arguments
     * @return the result
     */
    public Object invoke(NDArray receiver, Object[] args) {
        Object target = internal ? receiver.getNDArrayInternal() : receiver;
        try {
            return method.invoke(target, args);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot call NDArray." + method.getName(), e);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException("NDArray." + method.getName() + " failed", cause);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return (internal ? "getNDArrayInternal()." : "") + method.getName();
    }
}
