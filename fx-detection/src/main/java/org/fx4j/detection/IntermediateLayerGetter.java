package org.fx4j.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code models._utils.IntermediateLayerGetter}: the direct children of a model, in
 * order, up to the last one asked for, run one after the other; the outputs of the children named in
 * {@code returnLayers} are returned in the model's child order (not the map's), named as the map says
 * ({@code layer1 -> "0"}). Only direct
 * children can be returned and the model's forward is not used, so functional steps between children
 * (ResNet's {@code flatten}) are not run: as in torchvision. Use {@code createFeatureExtractor} for any
 * node.
 */
public final class IntermediateLayerGetter extends Module {

    private final Map<String, String> returnLayers;

    /**
     * Creates the getter.
     *
     * @param model the model whose children it keeps (they are shared, not copied)
     * @param returnLayers child name to output name, in the order to return them
     * @throws IllegalArgumentException if a name is not a direct child of the model
     */
    public IntermediateLayerGetter(Module model, Map<String, String> returnLayers) {
        List<String> children = new ArrayList<>();
        for (Pair<String, Block> c : model.namedChildren()) {
            children.add(c.getKey());
        }
        List<String> missing = new ArrayList<>(returnLayers.keySet());
        missing.removeAll(children);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("return_layers are not present in model: " + missing + " (its children: "
                    + children + ")");
        }
        this.returnLayers = new LinkedHashMap<>(returnLayers);
        List<String> left = new ArrayList<>(returnLayers.keySet());
        for (Pair<String, Block> c : model.namedChildren()) { // up to the last returned child (the first if none)
            register(c.getKey(), c.getValue());
            left.remove(c.getKey());
            if (left.isEmpty()) {
                break;
            }
        }
    }

    /**
     * Returns the output names by child name.
     *
     * @return the map given at construction
     */
    public Map<String, String> returnLayers() {
        return java.util.Collections.unmodifiableMap(returnLayers);
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException("IntermediateLayerGetter takes one input array, got " + inputs.size());
        }
        NDArray x = inputs.get(0);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Pair<String, Block> c : namedChildren()) {
            x = ctx.call(c.getValue(), new NDList(x)).singletonOrThrow();
            String name = returnLayers.get(c.getKey());
            if (name != null) {
                x.setName(name);
                out.put(name, x);
            }
        }
        // In the model's child order, one entry per output name (a name given twice keeps the later child's
        // output at the first one's place), as torchvision's OrderedDict.
        return new NDList(out.values());
    }
}
