package org.fx4j.fx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.internal.NDArrayEx;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashSet;
import java.util.Set;
import org.fx4j.nn.Recorder;
import org.fx4j.nn.SymbolicArray;

/**
 * The invocation handler behind symbolic arrays: {@link NDArray} proxies that stand for a node's
 * value while tracing. Every array-valued method call records a {@code call_method} node; an
 * in-place method ({@code addi}, {@code muli}, ...) records {@code add_}, {@code mul_}, ... and
 * rebinds the array to that node, so later uses read the updated value, as in PyTorch. A call that
 * needs data or a shape fails with a {@link org.fx4j.nn.TraceException} that names the fix.
 */
final class SymbolicValue implements InvocationHandler {

    /** Methods of NDArray and NDArrayEx that update the receiver and return it ({@code addi}). */
    private static final Set<String> IN_PLACE = inPlaceMethods();

    private final Tracer tracer;
    /** The internal view's owner: in-place updates through {@code getNDArrayInternal()} rebind it. */
    private final SymbolicValue outer;
    private Node node;
    private Object self;
    /** For an item of a dict-returning leaf not read yet: the call, the item's index and the caller's scope. */
    private Node pendingCall;
    private int pendingIndex;
    private String pendingScope;

    private SymbolicValue(Tracer tracer, Node node, SymbolicValue outer) {
        this.tracer = tracer;
        this.node = node;
        this.outer = outer;
    }

    /**
     * An item of a dict-returning leaf's output: its {@code getitem} node is recorded (in the scope of
     * the call) when the item is first used, as torch.fx records {@code out["0"]} when it is read.
     */
    static NDArray createItem(Tracer tracer, Node call, int index, String scope) {
        NDArray proxy = create(tracer, null);
        SymbolicValue handler = of(proxy);
        handler.pendingCall = call;
        handler.pendingIndex = index;
        handler.pendingScope = scope;
        return proxy;
    }

    /** Whether this is item {@code index} of {@code call}'s output and has not been read. */
    boolean isUnreadItemOf(Node call, int index) {
        return node == null && pendingCall == call && pendingIndex == index;
    }

    /** The call whose unread item this is, or null. */
    Node unreadItemOf() {
        return node == null ? pendingCall : null;
    }

    static NDArray create(Tracer tracer, Node node) {
        SymbolicValue handler = new SymbolicValue(tracer, node, null);
        NDArray proxy = (NDArray) Proxy.newProxyInstance(NDArray.class.getClassLoader(),
                new Class<?>[] {NDArray.class, SymbolicArray.class}, handler);
        handler.self = proxy;
        return proxy;
    }

    private NDArrayEx createInternal() {
        return (NDArrayEx) Proxy.newProxyInstance(NDArrayEx.class.getClassLoader(),
                new Class<?>[] {NDArrayEx.class, SymbolicArray.class}, new SymbolicValue(tracer, node(), this));
    }

    private static Set<String> inPlaceMethods() {
        Set<String> out = new HashSet<>();
        for (Class<?> type : new Class<?>[] {NDArray.class, NDArrayEx.class}) {
            Set<String> names = new HashSet<>();
            for (Method m : type.getMethods()) {
                names.add(m.getName());
            }
            for (Method m : type.getMethods()) {
                String n = m.getName();
                if (n.length() > 1 && n.endsWith("i") && names.contains(n.substring(0, n.length() - 1))
                        && NDArray.class.isAssignableFrom(m.getReturnType())) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    /**
     * Whether a method of {@code NDArray} or {@code NDArrayEx} updates its receiver and returns it:
     * DJL's {@code addi} beside {@code add}, and so on.
     */
    static boolean isInPlace(String methodName) {
        return IN_PLACE.contains(methodName);
    }

    /** Returns the handler of a symbolic array, or null for anything else. */
    static SymbolicValue of(Object value) {
        if (value instanceof SymbolicArray && Proxy.isProxyClass(value.getClass())) {
            InvocationHandler h = Proxy.getInvocationHandler(value);
            if (h instanceof SymbolicValue) {
                return (SymbolicValue) h;
            }
        }
        return null;
    }

    Tracer tracer() {
        return tracer;
    }

    /** The node this array currently stands for (rebound by in-place methods; an unread item's getitem, recorded now). */
    Node node() {
        if (node == null) {
            node = tracer.getitemNode(pendingCall, pendingIndex, pendingScope);
        }
        return node;
    }

    /** Binds this array to another node (undoing an in-place update of a dropped trace). */
    void rebind(Node to) {
        node = to;
    }

    private boolean internal() {
        return outer != null;
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
        if (method.getDeclaringClass() == SymbolicArray.class) {
            return (Recorder) tracer;
        }
        if (outer != null) {
            node = outer.node(); // the internal view follows in-place updates of its array
        }
        switch (name) {
            case "toString":
                return describe();
            case "getNDArrayInternal":
                if (!internal()) {
                    return createInternal();
                }
                break;
            case "getManager":
                return tracer.constantManager();
            case "getDevice":
                return tracer.constantManager().getDevice();
            case "getName":
                return node().name();
            case "getUid":
                return "fx:" + node().name();
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
                if (internal()) {
                    return outer.self;
                }
                break;
            default:
                break;
        }
        Object[] callArgs = args == null ? new Object[0] : args;
        Class<?> rt = method.getReturnType();
        String call = (internal() ? "NDArray.getNDArrayInternal()." : "NDArray.") + name + "()";
        if (IN_PLACE.contains(name)) {
            int mark = tracer.mark();
            Node updated = tracer.recordMethod(node(), internal(), method, callArgs);
            SymbolicValue owner = internal() ? outer : this;
            tracer.noteRebind(owner, owner.node(), mark);
            owner.node = updated;
            node = updated;
            return owner.self; // DJL's in-place methods return the updated array itself

        }
        if (NDArray.class.isAssignableFrom(rt) && rt.isAssignableFrom(NDArray.class)) {
            return create(tracer, tracer.recordMethod(node(), internal(), method, callArgs));
        }
        if (rt == void.class) {
            throw tracer.unsupported(node(), call, "changes the array in place without returning it (fx4j traces in-place"
                    + " methods that return the array, such as addi, muli, subi, divi)");
        }
        if (NDArray.class.isAssignableFrom(rt) || rt == NDList.class) {
            throw tracer.unsupported(node(), call, rt == NDList.class
                    ? "returns an NDList whose length is unknown while tracing"
                    : "returns an engine-specific array type");
        }
        throw tracer.unsupported(node(), call,
                "needs the data or the shape of a symbolic value, which does not exist while tracing (read shapes with"
                        + " SymShape.of(x) or SymInt.size(x, d))");
    }

    private String describe() {
        return node == null ? "SymbolicArray(item " + pendingIndex + " of " + pendingCall.qualifiedName() + ")"
                : "SymbolicArray(" + node.qualifiedName() + ")";
    }
}
