package org.fx4j.inference;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The named outputs of an extractor for one image, in the extractor's output order (see {@link FeatureMapTranslator}). */
public final class FeatureMaps {

    private final Map<String, FeatureMap> maps = new LinkedHashMap<>();

    /**
     * Creates the set.
     *
     * @param maps the maps, in output order, names distinct
     * @throws IllegalArgumentException if a name repeats
     */
    public FeatureMaps(List<FeatureMap> maps) {
        for (FeatureMap map : maps) {
            if (this.maps.put(map.name(), map) != null) {
                throw new IllegalArgumentException("the feature map '" + map.name() + "' appears twice");
            }
        }
    }

    /** @return the node names, in output order */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(maps.keySet()));
    }

    /**
     * Returns one map.
     *
     * @param name a node name
     * @return its map
     * @throws IllegalArgumentException naming the available outputs if there is none of that name
     */
    public FeatureMap get(String name) {
        FeatureMap map = maps.get(name);
        if (map == null) {
            throw new IllegalArgumentException("no feature map named '" + name + "'; the outputs are " + names());
        }
        return map;
    }

    /** @return e.g. {@code {layer3 [256, 14, 14], layer4 [512, 7, 7]}} */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (FeatureMap map : maps.values()) {
            b.append(b.length() > 1 ? ", " : "").append(map);
        }
        return b.append('}').toString();
    }
}
