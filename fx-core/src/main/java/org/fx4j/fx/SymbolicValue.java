package org.fx4j.fx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.internal.NDArrayEx;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Collection;
import java.util.Map;

/**
 * The invocation handler behind symbolic arrays: {@link NDArray} proxies that stand for a node's
 * value while tracing. Every array-valued method call records a {@code call_method} node; a call
 * that needs data or a shape fails with a {@link TraceException} that names the fix.
 */
final class SymbolicValue implements InvocationHandler {

    private final Tracer tracer;
    private final Node node;
    private final boolean internal;

    private SymbolicValue(Tracer tracer, Node node, boolean internal) {
        this.tracer = tracer;
        this.node = node;
        this.internal = internal;
    }

    static NDArray create(Tracer tracer, Node node) {
        return (NDArray)
                Proxy.newProxyInstance(
                        NDArray.class.getClassLoader(), new Class<?>[] {NDArray.class}, new SymbolicValue(tracer, node, false));
    }

    private static NDArrayEx createInternal(Tracer tracer, Node node) {
        return (NDArrayEx)
                Proxy.newProxyInstance(
                        NDArrayEx.class.getClassLoader(), new Class<?>[] {NDArrayEx.class}, new SymbolicValue(tracer, node, true));
    }

    /** Returns the handler of a symbolic array, or null for anything else. */
    static SymbolicValue of(Object value) {
        if (value != null && Proxy.isProxyClass(value.getClass())) {
            InvocationHandler h = Proxy.getInvocationHandler(value);
            if (h instanceof SymbolicValue) {
                return (SymbolicValue) h;
            }
        }
        return null;
    }

    /**
     * Returns whether a value is a symbolic array.
     *
     * @param value any value
     * @return true for symbolic arrays
     */
    static boolean isSymbolic(Object value) {
        return of(value) != null;
    }

    /** Returns the tracer of the first symbolic array found in (nested) arguments, or null. */
    static Tracer findTracer(Object value) {
        SymbolicValue s = of(value);
        if (s != null) {
            return s.tracer;
        }
        if (value instanceof SymInt) {
            return ((SymInt) value).tracer();
        }
        if (value instanceof Object[]) {
            for (Object o : (Object[]) value) {
                Tracer t = findTracer(o);
                if (t != null) {
                    return t;
                }
            }
        } else if (value instanceof Collection) {
            for (Object o : (Collection<?>) value) {
                Tracer t = findTracer(o);
                if (t != null) {
                    return t;
                }
            }
        } else if (value instanceof Map) {
            for (Object o : ((Map<?, ?>) value).values()) {
                Tracer t = findTracer(o);
                if (t != null) {
                    return t;
                }
            }
        }
        return null;
    }

    Tracer tracer() {
        return tracer;
    }

    Node node() {
        return node;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) {
        String name = method.getName();
        if (method.getDeclaringClass() == Object.class) {
            switch (name) {
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                default:
                    return describe();
            }
        }
        switch (name) {
            case "toString":
                return describe();
            case "getNDArrayInternal":
                if (!internal) {
                    return createInternal(tracer, node);
                }
                break;
            case "getManager":
                return tracer.constantManager();
            case "getDevice":
                return tracer.constantManager().getDevice();
            case "getName":
                return node.name();
            case "getUid":
                return "fx:" + node.name();
            case "isReleased":
                return false;
            case "close":
            case "setName":
            case "attach":
            case "detach":
            case "tempAttach":
            case "returnResource":
                return null;
            case "getArray":
                if (internal) {
                    return create(tracer, node);
                }
                break;
            default:
                break;
        }
        Class<?> rt = method.getReturnType();
        if (NDArray.class.isAssignableFrom(rt) && rt.isAssignableFrom(NDArray.class)) {
            return tracer.recordMethod(node, internal, method, args == null ? new Object[0] : args);
        }
        if (NDArray.class.isAssignableFrom(rt) || rt == NDList.class) {
            throw tracer.unsupported(
                    node,
                    (internal ? "NDArray.getNDArrayInternal()." : "NDArray.") + name + "()",
                    rt == NDList.class
                            ? "returns an NDList whose length is unknown while tracing"
                            : "returns an engine-specific array type");
        }
        throw tracer.unsupported(
                node,
                (internal ? "NDArray.getNDArrayInternal()." : "NDArray.") + name + "()",
                "needs the data or the shape of a symbolic value, which does not exist while tracing");
    }

    private String describe() {
        return "SymbolicArray(" + node.qualifiedName() + ")";
    }
}
