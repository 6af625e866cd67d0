package org.fx4j.fx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A container argument of a node whose items may be nodes: a {@code List}, an {@code NDList} or an
 * object array ({@code NDArray[]}), rebuilt with real values at execution time.
 */
public final class ArgContainer {

    /** The container types an argument can have. */
    public enum Kind {
        /** A {@link java.util.List}. */
        LIST,
        /** A DJL {@link ai.djl.ndarray.NDList}. */
        NDLIST,
        /** An object array; see {@link #componentType()}. */
        ARRAY
    }

    private final Kind kind;
    private final Class<?> componentType;
    private final List<Object> items;

    ArgContainer(Kind kind, Class<?> componentType, List<Object> items) {
        this.kind = kind;
        this.componentType = componentType;
        this.items = Collections.unmodifiableList(new ArrayList<>(items));
    }

    /**
     * Returns the container type.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the array component type (for {@link Kind#ARRAY}).
     *
     * @return the component type or null
     */
    public Class<?> componentType() {
        return componentType;
    }

    /**
     * Returns the items (nodes, constants or containers).
     *
     * @return the items
     */
    public List<Object> items() {
        return items;
    }

    /**
     * Visits every leaf of a node argument: the argument itself, or the items of a container (and
     * of the output node's name-to-value map), recursively.
     *
     * @param arg a node argument
     * @param leaf receives each leaf
     */
    public static void forEachLeaf(Object arg, Consumer<Object> leaf) {
        if (arg instanceof ArgContainer) {
            for (Object o : ((ArgContainer) arg).items) {
                forEachLeaf(o, leaf);
            }
        } else if (arg instanceof Map) {
            for (Object o : ((Map<?, ?>) arg).values()) {
                forEachLeaf(o, leaf);
            }
        } else {
            leaf.accept(arg);
        }
    }
}
