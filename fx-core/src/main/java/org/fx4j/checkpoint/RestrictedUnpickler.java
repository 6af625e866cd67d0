package org.fx4j.checkpoint;

import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that builds only plain data (None, booleans, numbers, strings, bytes, lists,
 * tuples, dicts) and the few PyTorch constructs a checkpoint holds: {@code collections.OrderedDict},
 * tensor rebuilds ({@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_parameter}, ...) and
 * storage types ({@code torch.FloatStorage}, ...). Any other global is refused with an error that
 * names it, before anything is called: a pickle never runs code here.
 */
final class RestrictedUnpickler {

    /** A pickled tuple. */
    static final class Tuple {
        final Object[] items;

        Tuple(Object[] items) {
            this.items = items;
        }

        int size() {
            return items.length;
        }

        Object get(int i) {
            return items[i];
        }

        /** Bounded: a shared or deeply nested tuple renders a few hundred characters. */
        @Override
        public String toString() {
            return BoundedText.of(this);
        }
    }

    /** A pickled frozenset: hashable (by identity here), so it may be a dict key. */
    static final class FrozenSet {
        final List<Object> items;

        FrozenSet(List<Object> items) {
            this.items = items;
        }

        /** Bounded, as {@link Tuple#toString()}. */
        @Override
        public String toString() {
            return BoundedText.of(this);
        }
    }

    /** An allowed global (a class or function of the allow-list). */
    static final class Global {
        final String module;
        final String name;

        Global(String module, String name) {
            this.module = module;
            this.name = name;
        }

        String qualifiedName() {
            return module + "." + name;
        }

        @Override
        public String toString() {
            return qualifiedName();
        }
    }

    /** Applies an allowed global to its arguments (REDUCE) and handles persistent ids. */
    interface Builder {
        Object reduce(Global callable, Tuple args) throws CheckpointException;

        Object persistentLoad(Object pid) throws CheckpointException;
    }

    static final Set<String> ALLOWED = Set.of(
            "collections.OrderedDict",
            "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter",
            "torch._tensor._rebuild_from_type_v2",
            "torch._tensor.Tensor",
            "torch.Tensor",
            "torch.nn.parameter.Parameter",
            "torch.FloatStorage",
            "torch.HalfStorage",
            "torch.BFloat16Storage",
            "torch.DoubleStorage",
            "torch.LongStorage",
            "torch.IntStorage",
            "torch.ShortStorage",
            "torch.CharStorage",
            "torch.ByteStorage",
            "torch.BoolStorage");

    /**
     * The most objects one pickle may build (values pushed, marks, container items, memo entries): a
     * 128th of the JVM's heap in objects, between 250 000 and 4 000 000 (500 000 at -Xmx64m, 4 000 000
     * from -Xmx512m up). A state dict builds about 36 per tensor (4430 for resnet18), so 100 000 tensors read;
     * a hostile one is stopped with its memory a fraction of the heap, whatever the file's size.
     */
    static final long MAX_OBJECTS = Math.max(250_000, Math.min(4_000_000, Runtime.getRuntime().maxMemory() / 128));
    /** The most bytes of one pickled integer (LONG1/LONG4): 8192 bits, so that hashing or printing one is cheap. */
    static final int MAX_LONG_BYTES = 1024;
    /**
     * The most bytes of strings, bytes, long integers and text lines one pickle may hold in all: 64 MiB,
     * or a quarter of the JVM's heap if that is less (checked before anything is allocated).
     */
    static final long MAX_DATA_BYTES = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 4);
    /** The longest text line (a global's module or name, a text-protocol number). */
    static final int MAX_LINE = 4096;

    private static final Object MARK = new Object();

    private final ByteBuffer in;
    private final String source;
    private final Builder builder;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Integer, Object> memo = new HashMap<>();
    private long objects;
    private long dataBytes;

    RestrictedUnpickler(ByteBuffer in, String source, Builder builder) {
        this.in = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.source = source;
        this.builder = builder;
    }

    /** The position after the last pickle read (for files holding several pickles). */
    int position() {
        return in.position();
    }

    Object load() throws CheckpointException {
        stack.clear();
        marks.clear();
        memo.clear();
        objects = 0;
        dataBytes = 0;
        try {
            while (true) {
                int op = in.get() & 0xff;
                if (op == '.') {
                    if (stack.size() != 1) {
                        throw corrupt("stack holds " + stack.size() + " items at STOP");
                    }
                    return stack.remove(0);
                }
                step(op);
            }
        } catch (BufferUnderflowException e) {
            throw new CheckpointException(source + " is truncated: its pickle ends before the STOP opcode", e);
        } catch (ClassCastException | NullPointerException e) {
            throw corrupt("an opcode met a value of the wrong type at byte " + (in.position() - 1));
        } catch (IndexOutOfBoundsException | NumberFormatException | ArithmeticException e) {
            throw corrupt(e.getClass().getSimpleName() + " at byte " + (in.position() - 1) + ": "
                    + BoundedText.of(String.valueOf(e.getMessage())));
        }
    }

    private CheckpointException corrupt(String what) {
        return new CheckpointException(source + " is corrupt: malformed pickle (" + what + ")");
    }

    @SuppressWarnings("unchecked")
    private void step(int op) throws CheckpointException {
        switch (op) {
            case 0x80: // PROTO
                in.get();
                break;
            case 0x95: // FRAME
                in.getLong();
                break;
            case '(':
                count(1);
                marks.add(stack.size());
                stack.add(MARK);
                break;
            case '0':
                pop();
                break;
            case '1':
                popMark();
                break;
            case '2':
                push(peekValue("DUP"));
                break;
            case '}':
                push(new LinkedHashMap<Object, Object>());
                break;
            case ']':
                push(new ArrayList<Object>());
                break;
            case ')':
                push(new Tuple(new Object[0]));
                break;
            case 0x8f: // EMPTY_SET
                push(new ArrayList<Object>());
                break;
            case 0x90: // ADDITEMS
            {
                List<Object> items = popMark();
                peekList("ADDITEMS").addAll(items);
                break;
            }
            case 0x91: // FROZENSET (hashable, unlike a set or list)
                push(new FrozenSet(popMark()));
                break;
            case 't':
                push(new Tuple(popMark().toArray()));
                break;
            case 0x85:
                push(new Tuple(new Object[] {pop()}));
                break;
            case 0x86: {
                Object b = pop();
                Object a = pop();
                push(new Tuple(new Object[] {a, b}));
                break;
            }
            case 0x87: {
                Object c = pop();
                Object b = pop();
                Object a = pop();
                push(new Tuple(new Object[] {a, b, c}));
                break;
            }
            case 'l':
                push(new ArrayList<>(popMark()));
                break;
            case 'd': {
                List<Object> items = popMark();
                checkPairs(items, "DICT");
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    put(map, items.get(i), items.get(i + 1));
                }
                push(map);
                break;
            }
            case 'a': {
                Object v = pop();
                peekList("APPEND").add(v);
                count(1);
                break;
            }
            case 'e': {
                List<Object> items = popMark();
                peekList("APPENDS").addAll(items);
                break;
            }
            case 's': {
                Object v = pop();
                Object k = pop();
                put(peekMap("SETITEM"), k, v);
                break;
            }
            case 'u': {
                List<Object> items = popMark();
                checkPairs(items, "SETITEMS");
                Map<Object, Object> map = peekMap("SETITEMS");
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    put(map, items.get(i), items.get(i + 1));
                }
                break;
            }
            case 'J':
                push((long) in.getInt());
                break;
            case 'K':
                push((long) (in.get() & 0xff));
                break;
            case 'M':
                push((long) (in.getShort() & 0xffff));
                break;
            case 0x8a:
                push(readLong(in.get() & 0xff));
                break;
            case 0x8b:
                push(readLong(in.getInt() & 0xffffffffL));
                break;
            case 'I': {
                String s = readLine();
                push("01".equals(s) ? Boolean.TRUE : "00".equals(s) ? Boolean.FALSE : (Object) Long.parseLong(s));
                break;
            }
            case 'L': {
                String s = readLine();
                BigInteger v = new BigInteger(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
                if (v.bitLength() > 8 * MAX_LONG_BYTES) {
                    throw new CheckpointException(source + " is refused: it pickles an integer of " + v.bitLength()
                            + " bits, more than fx4j's bound of " + 8 * MAX_LONG_BYTES);
                }
                push(v);
                break;
            }
            case 'G':
                push(in.order(ByteOrder.BIG_ENDIAN).getDouble());
                in.order(ByteOrder.LITTLE_ENDIAN);
                break;
            case 'F':
                push(Double.parseDouble(readLine()));
                break;
            case 'N':
                push(null);
                break;
            case 0x88:
                push(Boolean.TRUE);
                break;
            case 0x89:
                push(Boolean.FALSE);
                break;
            case 'X':
                push(readString(in.getInt() & 0xffffffffL));
                break;
            case 0x8c:
                push(readString(in.get() & 0xff));
                break;
            case 0x8d:
                push(readString(in.getLong()));
                break;
            case 'T':
            case 'B':
                push(readBytes(in.getInt() & 0xffffffffL));
                break;
            case 'U':
            case 'C':
                push(readBytes(in.get() & 0xff));
                break;
            case 0x8e:
            case 0x96:
                push(readBytes(in.getLong()));
                break;
            case 'q':
                memoPut(in.get() & 0xff);
                break;
            case 'r':
                memoPut(in.getInt());
                break;
            case 'p':
                memoPut(Integer.parseInt(readLine()));
                break;
            case 0x94:
                memoPut(memo.size());
                break;
            case 'h':
                push(memoGet(in.get() & 0xff));
                break;
            case 'j':
                push(memoGet(in.getInt()));
                break;
            case 'g':
                push(memoGet(Integer.parseInt(readLine())));
                break;
            case 'c': {
                String module = readLine();
                String name = readLine();
                push(global(module, name));
                break;
            }
            case 0x93: {
                String name = cast(pop(), String.class, "a global's name", source);
                String module = cast(pop(), String.class, "a global's module", source);
                push(global(module, name));
                break;
            }
            case 'R': // REDUCE: callable(*args)
            case 0x81: { // NEWOBJ: cls.__new__(cls, *args), built the same way from the allow-list
                Tuple args = cast(pop(), Tuple.class, (op == 'R' ? "REDUCE" : "NEWOBJ") + " arguments", source);
                Object callable = pop();
                if (!(callable instanceof Global)) {
                    throw corrupt((op == 'R' ? "REDUCE" : "NEWOBJ") + " on a non-callable "
                            + BoundedText.of(callable));
                }
                push(builder.reduce((Global) callable, args));
                break;
            }
            case 'b': { // BUILD: an OrderedDict's state (its _metadata) carries no tensors and is dropped
                pop();
                Object target = peek();
                if (!(target instanceof Map)) {
                    throw new CheckpointException(
                            source + " sets the state of a " + describe(target)
                                    + ", which fx4j's restricted unpickler does not build; save a plain state_dict");
                }
                break;
            }
            case 'Q':
                push(builder.persistentLoad(pop()));
                break;
            case 'P':
                push(builder.persistentLoad(readLine()));
                break;
            case 'i':
            case 'o':
            case 0x92:
            case 0x82:
            case 0x83:
            case 0x84:
                throw new CheckpointException(
                        source + " uses pickle opcode 0x" + Integer.toHexString(op)
                                + " (object construction), which fx4j's restricted unpickler refuses");
            default:
                throw corrupt("unknown opcode 0x" + Integer.toHexString(op) + " at byte " + (in.position() - 1));
        }
    }

    private Global global(String module, String name) throws CheckpointException {
        String qualified = module + "." + name;
        if (!ALLOWED.contains(qualified)) {
            throw new CheckpointException(
                    source + " refers to the Python global " + BoundedText.of(qualified) + ", which fx4j refuses to load: its"
                            + " restricted unpickler builds only tensors, storages and (Ordered)dicts and never runs"
                            + " code. Save only the model's state_dict (torch.save(model.state_dict(), f)) or convert"
                            + " the file to safetensors.");
        }
        return new Global(module, name);
    }

    private Object memoGet(int key) throws CheckpointException {
        if (!memo.containsKey(key)) {
            throw corrupt("memo key " + key + " read before it is written");
        }
        return memo.get(key);
    }

    private void checkPairs(List<Object> items, String opcode) throws CheckpointException {
        if (items.size() % 2 != 0) {
            throw corrupt(opcode + " with an odd number of items (" + items.size() + ")");
        }
    }

    /** Counts built objects against {@link #MAX_OBJECTS}. */
    private void count(long n) throws CheckpointException {
        objects += n;
        if (objects > MAX_OBJECTS) {
            throw new CheckpointException(source + " is refused: its pickle builds more than " + MAX_OBJECTS
                    + " objects (fx4j's bound; a state dict of a large model builds a few tens of thousands)");
        }
    }

    /** Checks a declared length against the bytes left and the data budget, before allocating. */
    private int claim(long n, String what) throws CheckpointException {
        if (n < 0 || n > in.remaining()) {
            throw corrupt(what + " declares " + (n < 0 ? "a negative length " + n : n + " bytes") + " at byte "
                    + in.position() + ", but " + in.remaining() + " bytes are left");
        }
        charge(n);
        return (int) n;
    }

    private void charge(long n) throws CheckpointException {
        dataBytes += n;
        if (dataBytes > MAX_DATA_BYTES) {
            throw new CheckpointException(source + " is refused: its pickle holds more than " + MAX_DATA_BYTES
                    + " bytes of strings and numbers (fx4j's bound; tensors are stored apart from the pickle)");
        }
    }

    private void memoPut(int key) throws CheckpointException {
        count(1);
        memo.put(key, peekValue("PUT"));
    }

    /** The top of the stack, which must be a value, not a MARK. */
    private Object peekValue(String opcode) throws CheckpointException {
        Object top = peek();
        if (top == MARK) {
            throw corrupt(opcode + " of a MARK");
        }
        return top;
    }

    /** Puts a dict item; like Python, refuses keys that are not hashable (a list, a dict). */
    private void put(Map<Object, Object> map, Object key, Object value) throws CheckpointException {
        checkHashable(key, source);
        count(1);
        map.put(key, value);
    }

    /** Refuses, as Python does, a dict key that is a list or a dict (and never hashes one). */
    static void checkHashable(Object key, String source) throws CheckpointException {
        if (key instanceof List || key instanceof Map) {
            throw new CheckpointException(source + " is corrupt: malformed pickle (a dict key is a "
                    + (key instanceof List ? "list" : "dict") + ", which Python refuses as unhashable)");
        }
    }

    private Object readLong(long length) throws CheckpointException {
        if (length > MAX_LONG_BYTES) {
            throw new CheckpointException(source + " is refused: it pickles an integer of " + length + " bytes, more"
                    + " than fx4j's bound of " + MAX_LONG_BYTES + " (" + 8 * MAX_LONG_BYTES + " bits)");
        }
        int n = claim(length, "a LONG");
        byte[] b = new byte[n];
        in.get(b);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) {
            be[i] = b[n - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String readString(long length) throws CheckpointException {
        int n = claim(length, "a string");
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private byte[] readBytes(long length) throws CheckpointException {
        int n = claim(length, "a bytes value");
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String readLine() throws CheckpointException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            byte b = in.get();
            if (b == '\n') {
                charge(sb.length());
                return sb.toString();
            }
            if (sb.length() == MAX_LINE) {
                throw corrupt("a text line longer than " + MAX_LINE + " bytes at byte " + in.position());
            }
            sb.append((char) (b & 0xff));
        }
    }

    private void push(Object o) throws CheckpointException {
        count(1);
        stack.add(o);
    }

    private Object pop() throws CheckpointException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw corrupt("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws CheckpointException {
        if (stack.isEmpty()) {
            throw corrupt("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    @SuppressWarnings("unchecked")
    private List<Object> peekList(String opcode) throws CheckpointException {
        Object top = peek();
        if (!(top instanceof List)) {
            throw corrupt(opcode + " to a " + describe(top));
        }
        return (List<Object>) top;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> peekMap(String opcode) throws CheckpointException {
        Object top = peek();
        if (!(top instanceof Map)) {
            throw corrupt(opcode + " to a " + describe(top));
        }
        return (Map<Object, Object>) top;
    }

    private List<Object> popMark() throws CheckpointException {
        if (marks.isEmpty()) {
            throw corrupt("no MARK on the stack");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    /** A value's Python type (or the global's name), for messages. */
    static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Global) {
            return ((Global) o).qualifiedName();
        }
        if (o instanceof Tuple) {
            return "tuple";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Long) {
            return "int";
        }
        if (o instanceof BigInteger) {
            return "int beyond int64";
        }
        if (o instanceof FrozenSet) {
            return "frozenset";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        if (o instanceof TensorRef) {
            return "tensor";
        }
        if (o instanceof TensorRef.StorageRef) {
            return "storage";
        }
        return o.getClass().getSimpleName();
    }

    static <T> T cast(Object o, Class<T> type, String what, String source) throws CheckpointException {
        if (!type.isInstance(o)) {
            throw new CheckpointException(source + " is corrupt: " + what + " is a " + describe(o) + ", expected "
                    + (type == Tuple.class ? "a tuple" : type == String.class ? "a str" : type == Long.class ? "an int"
                            : type == TensorRef.class ? "a tensor" : type == TensorRef.StorageRef.class ? "a storage"
                            : type == Global.class ? "a global" : type.getSimpleName()));
        }
        return type.cast(o);
    }
}
