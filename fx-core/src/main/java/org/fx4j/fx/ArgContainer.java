package org.fx4j.fx;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

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
     * The one walk over node arguments: folds an argument bottom-up, mapping each leaf (a node, a
     * constant) with {@code leaf} and each container, given its folded items, with {@code container}.
     * The output node's name-to-value map is walked like a container.
     *
     * @param arg a node argument
     * @param leaf maps a leaf
     * @param container combines a container with its folded items ({@code null} for the output map)
     * @param <T> the result type
     * @return the folded argument
     */
    public static <T> T fold(Object arg, Function<Object, T> leaf, BiFunction<ArgContainer, List<T>, T> container) {
        Collection<?> items = arg instanceof ArgContainer ? ((ArgContainer) arg).items
                : arg instanceof Map ? ((Map<?, ?>) arg).values() : null;
        if (items == null) {
            return leaf.apply(arg);
        }
        List<T> folded = new ArrayList<>(items.size());
        for (Object o : items) {
            folded.add(fold(o, leaf, container));
        }
        return container.apply(arg instanceof ArgContainer ? (ArgContainer) arg : null, folded);
    }

    /**
     * Visits every leaf of a node argument ({@link #fold} for side effects).
     *
     * @param arg a node argument
     * @param leaf receives each leaf
     */
    public static void forEachLeaf(Object arg, Consumer<Object> leaf) {
        fold(arg, o -> {
            leaf.accept(o);
            return null;
        }, (c, items) -> null);
    }
}
