package org.fx4j.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.fx4j.nn.Module;

/**
 * The models fx-models provides, by torchvision name ({@code resnet50}). Models are created
 * uninitialised; call {@code initialize(manager)} or load a checkpoint.
 */
public final class ModelRegistry {

    private static final Map<String, Supplier<Module>> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("resnet18", ResNets::resnet18);
        MODELS.put("resnet34", ResNets::resnet34);
        MODELS.put("resnet50", ResNets::resnet50);
        MODELS.put("resnet101", ResNets::resnet101);
        MODELS.put("resnet152", ResNets::resnet152);
        MODELS.put("resnext50_32x4d", ResNets::resnext50_32x4d);
        MODELS.put("resnext101_32x8d", ResNets::resnext101_32x8d);
        MODELS.put("resnext101_64x4d", ResNets::resnext101_64x4d);
        MODELS.put("wide_resnet50_2", ResNets::wide_resnet50_2);
        MODELS.put("wide_resnet101_2", ResNets::wide_resnet101_2);
        MODELS.put("densenet121", DenseNet::densenet121);
        MODELS.put("densenet161", DenseNet::densenet161);
        MODELS.put("densenet169", DenseNet::densenet169);
        MODELS.put("densenet201", DenseNet::densenet201);
        MODELS.put("mobilenet_v2", MobileNetV2::new);
        MODELS.put("mobilenet_v3_large", MobileNetV3::large);
        MODELS.put("mobilenet_v3_small", MobileNetV3::small);
        MODELS.put("vgg11", () -> VGG.vgg("A", false));
        MODELS.put("vgg11_bn", () -> VGG.vgg("A", true));
        MODELS.put("vgg13", () -> VGG.vgg("B", false));
        MODELS.put("vgg13_bn", () -> VGG.vgg("B", true));
        MODELS.put("vgg16", () -> VGG.vgg("D", false));
        MODELS.put("vgg16_bn", () -> VGG.vgg("D", true));
        MODELS.put("vgg19", () -> VGG.vgg("E", false));
        MODELS.put("vgg19_bn", () -> VGG.vgg("E", true));
    }

    private ModelRegistry() {}

    /**
     * Returns the known model names, in registry order.
     *
     * @return the names
     */
    public static List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(MODELS.keySet()));
    }

    /**
     * Returns the factories by name.
     *
     * @return an unmodifiable name-to-factory map
     */
    public static Map<String, Supplier<Module>> factories() {
        return Collections.unmodifiableMap(MODELS);
    }

    /**
     * Creates a model by torchvision name.
     *
     * @param name e.g. {@code resnet50}
     * @return a new, uninitialised model
     * @throws IllegalArgumentException naming the known models if the name is unknown
     */
    public static Module create(String name) {
        Supplier<Module> factory = MODELS.get(name);
        if (factory == null) {
            throw new IllegalArgumentException(
                    "Unknown model '" + name + "'. Known models: " + String.join(", ", MODELS.keySet()));
        }
        return factory.get();
    }
}
