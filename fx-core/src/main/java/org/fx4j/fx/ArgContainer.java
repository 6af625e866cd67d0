package org.fx4j.fx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

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
}
