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
        MODELS.put("regnet_y_400mf", () -> RegNet.of(16, 48, 27.89, 2.09, 8, 0.25));
        MODELS.put("regnet_y_800mf", () -> RegNet.of(14, 56, 38.84, 2.4, 16, 0.25));
        MODELS.put("regnet_y_1_6gf", () -> RegNet.of(27, 48, 20.71, 2.65, 24, 0.25));
        MODELS.put("regnet_y_3_2gf", () -> RegNet.of(21, 80, 42.63, 2.66, 24, 0.25));
        MODELS.put("regnet_y_8gf", () -> RegNet.of(17, 192, 76.82, 2.19, 56, 0.25));
        MODELS.put("regnet_y_16gf", () -> RegNet.of(18, 200, 106.23, 2.48, 112, 0.25));
        MODELS.put("regnet_y_32gf", () -> RegNet.of(20, 232, 115.89, 2.53, 232, 0.25));
        MODELS.put("regnet_y_128gf", () -> RegNet.of(27, 456, 160.83, 2.52, 264, 0.25));
        MODELS.put("regnet_x_400mf", () -> RegNet.of(22, 24, 24.48, 2.54, 16, 0));
        MODELS.put("regnet_x_800mf", () -> RegNet.of(16, 56, 35.73, 2.28, 16, 0));
        MODELS.put("regnet_x_1_6gf", () -> RegNet.of(18, 80, 34.01, 2.25, 24, 0));
        MODELS.put("regnet_x_3_2gf", () -> RegNet.of(25, 88, 26.31, 2.25, 48, 0));
        MODELS.put("regnet_x_8gf", () -> RegNet.of(23, 80, 49.56, 2.88, 120, 0));
        MODELS.put("regnet_x_16gf", () -> RegNet.of(22, 216, 55.59, 2.1, 128, 0));
        MODELS.put("regnet_x_32gf", () -> RegNet.of(23, 320, 69.86, 2.0, 168, 0));
        MODELS.put("vgg11", () -> VGG.vgg("A", false));
        MODELS.put("vgg11_bn", () -> VGG.vgg("A", true));
        MODELS.put("vgg13", () -> VGG.vgg("B", false));
        MODELS.put("vgg13_bn", () -> VGG.vgg("B", true));
        MODELS.put("vgg16", () -> VGG.vgg("D", false));
        MODELS.put("vgg16_bn", () -> VGG.vgg("D", true));
        MODELS.put("vgg19", () -> VGG.vgg("E", false));
        MODELS.put("vgg19_bn", () -> VGG.vgg("E", true));
        for (int b = 0; b <= 7; b++) {
            int variant = b;
            MODELS.put("efficientnet_b" + b, () -> EfficientNet.b(variant));
        }
        MODELS.put("convnext_tiny", ConvNeXt::tiny);
        MODELS.put("convnext_small", ConvNeXt::small);
        MODELS.put("convnext_base", ConvNeXt::base);
        MODELS.put("convnext_large", ConvNeXt::large);
        MODELS.put("swin_t", SwinTransformer::tiny);
        MODELS.put("swin_s", SwinTransformer::small);
        MODELS.put("swin_b", SwinTransformer::base);
        MODELS.put("vit_b_16", VisionTransformer::vitB16);
        MODELS.put("vit_b_32", VisionTransformer::vitB32);
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
