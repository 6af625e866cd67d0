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
    /** For an item of a dict-returning leaf: the call and the item's index (kept after it is read). */
    private Node pendingCall;
    private int pendingIndex;
    /** The name code gave this array ({@code setName}): replayed on the real array before a leaf call. */
    private String label;

    private SymbolicValue(Tracer tracer, Node node, SymbolicValue outer) {
        this.tracer = tracer;
        this.node = node;
        this.outer = outer;
    }

    /**
     * An item of a dict-returning leaf's output: its {@code getitem} node is recorded (in the scope of
     * the call) when the item is first used, as torch.fx records {@code out["0"]} when it is read.
     */
    static NDArray createItem(Tracer tracer, Node call, int index) {
        NDArray proxy = create(tracer, null);
        SymbolicValue handler = of(proxy);
        handler.pendingCall = call;
        handler.pendingIndex = index;
        return proxy;
    }

    /** Whether this array is item {@code index} of {@code call}'s dict output (read or not, updated in place or not). */
    boolean isItemOf(Node call, int index) {
        return pendingCall == call && pendingIndex == index;
    }

    /** The dict-returning call this array is an item of, or null. */
    Node itemOf() {
        return pendingCall;
    }

    /** Whether this is an item whose getitem node has not been recorded. */
    boolean isUnread() {
        return node == null;
    }

    /** The name code gave this array while tracing, or null. */
    String label() {
        return label;
    }

    /** Forgets the getitem node of an item whose recording was dropped (a truncated trace attempt). */
    void unread() {
        node = null;
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
            node = tracer.getitemNode(this, pendingCall, pendingIndex); // recorded where it is read, as torch.fx
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
                return node == null ? null : node.name(); // naming an unread item does not read it
            case "getUid":
                return "fx:" + (node == null ? "item" + pendingIndex + "-of-" + pendingCall.name() : node.name());
            case "isReleased":
                return false;
            case "setName":
                label = (String) args[0];
                return null;
            case "close":
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
            Node receiver = node(); // an unread item's getitem first, so that a truncation keeps it apart
            int mark = tracer.mark();
            Node updated = tracer.recordMethod(receiver, internal(), method, callArgs);
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
