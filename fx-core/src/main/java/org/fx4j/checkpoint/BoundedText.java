package org.fx4j.checkpoint;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.fx4j.io.SafeText;

/**
 * Renders values read from an untrusted file for error messages, within a character budget and
 * without recursion: a self-referencing list, a 200k-deep nesting or an exponentially shared tuple
 * print a few hundred characters, never a {@code StackOverflowError} or gigabytes of text.
 */
final class BoundedText {

    /** The most characters one rendered value takes. */
    static final int MAX_CHARS = 300;
    private static final int MAX_DEPTH = 4;
    private static final int MAX_ITEMS = 12;

    private BoundedText() {}

    /**
     * Renders a value as Python would print it, cut at {@link #MAX_CHARS} characters, {@value
     * #MAX_ITEMS} items per container and {@value #MAX_DEPTH} levels.
     */
    static String of(Object value) {
        StringBuilder out = new StringBuilder();
        Deque<Object> work = new ArrayDeque<>();
        work.push(new Pending(value, 0));
        while (!work.isEmpty() && out.length() < MAX_CHARS) {
            Object next = work.pop();
            if (next instanceof Literal) {
                out.append(((Literal) next).text);
                continue;
            }
            Pending p = (Pending) next;
            renderOne(p.value, p.depth, out, work);
        }
        if (out.length() >= MAX_CHARS || !work.isEmpty()) {
            out.setLength(Math.min(out.length(), MAX_CHARS));
            out.append("...");
        }
        return out.toString();
    }

    /** A string from a file, escaped and cut to {@link #MAX_CHARS} characters (no quotes added): {@link SafeText}. */
    static String name(String s) {
        return SafeText.of(s, MAX_CHARS);
    }

    /** Renders the first keys of a collection (a dict's keys, say) as a list, with the total count. */
    static String keys(Collection<?> keys) {
        StringBuilder out = new StringBuilder("[");
        int n = 0;
        for (Object k : keys) {
            if (n > 0) {
                out.append(", ");
            }
            if (n == MAX_ITEMS || out.length() > MAX_CHARS) {
                out.append("... (").append(keys.size()).append(" keys in all)");
                break;
            }
            out.append(k instanceof String ? name((String) k) : of(k));
            n++;
        }
        return out.append(']').toString();
    }

    private static void renderOne(Object v, int depth, StringBuilder out, Deque<Object> work) {
        if (v == null) {
            out.append("None");
        } else if (v instanceof String) {
            out.append('\'').append(name((String) v)).append('\'');
        } else if (v instanceof byte[]) {
            out.append("bytes(").append(((byte[]) v).length).append(')');
        } else if (v instanceof Boolean) {
            out.append((Boolean) v ? "True" : "False");
        } else if (v instanceof java.math.BigInteger && ((java.math.BigInteger) v).bitLength() > 256) {
            // Printing a huge integer in decimal takes time quadratic in its length: give its size instead.
            out.append("int(").append(((java.math.BigInteger) v).bitLength()).append(" bits)");
        } else if (v instanceof Number || v instanceof RestrictedUnpickler.Global) {
            String s = v.toString();
            out.append(s, 0, Math.min(s.length(), MAX_CHARS));
        } else if (v instanceof RestrictedUnpickler.FrozenSet) {
            out.append("frozenset(");
            work.push(new Literal(")"));
            container(((RestrictedUnpickler.FrozenSet) v).items, "{", "}", depth, work, out);
        } else if (v instanceof RestrictedUnpickler.Tuple) {
            container(java.util.Arrays.asList(((RestrictedUnpickler.Tuple) v).items), "(", ")", depth, work, out);
        } else if (v instanceof List) {
            container((List<?>) v, "[", "]", depth, work, out);
        } else if (v instanceof Map) {
            if (depth >= MAX_DEPTH) {
                out.append("{...}");
                return;
            }
            Map<?, ?> m = (Map<?, ?>) v;
            // Queue in reverse: the work list is a stack.
            Deque<Object> items = new ArrayDeque<>();
            items.push(new Literal("{"));
            int n = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (n == MAX_ITEMS) {
                    items.push(new Literal(", ..."));
                    break;
                }
                if (n > 0) {
                    items.push(new Literal(", "));
                }
                items.push(new Pending(e.getKey(), depth + 1));
                items.push(new Literal(": "));
                items.push(new Pending(e.getValue(), depth + 1));
                n++;
            }
            items.push(new Literal("}"));
            for (Object o : items) {
                work.push(o);
            }
        } else {
            out.append(RestrictedUnpickler.describe(v));
        }
    }

    private static void container(List<?> list, String open, String close, int depth, Deque<Object> work,
            StringBuilder out) {
        if (depth >= MAX_DEPTH) {
            out.append(open).append("...").append(close);
            return;
        }
        Deque<Object> items = new ArrayDeque<>();
        items.push(new Literal(open));
        Iterator<?> it = list.iterator();
        for (int n = 0; it.hasNext(); n++) {
            if (n == MAX_ITEMS) {
                items.push(new Literal(", ... (" + list.size() + " items)"));
                break;
            }
            if (n > 0) {
                items.push(new Literal(", "));
            }
            items.push(new Pending(it.next(), depth + 1));
        }
        items.push(new Literal(close));
        for (Object o : items) {
            work.push(o);
        }
    }

    private static final class Pending {
        final Object value;
        final int depth;

        Pending(Object value, int depth) {
            this.value = value;
            this.depth = depth;
        }
    }

    private static final class Literal {
        final String text;

        Literal(String text) {
            this.text = text;
        }
    }
}
