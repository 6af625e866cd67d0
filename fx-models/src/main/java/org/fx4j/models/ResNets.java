package org.fx4j.models;

/**
 * The ResNet family of torchvision 0.14 ({@code resnet18} ... {@code wide_resnet101_2}), randomly
 * initialised as torchvision does; load weights from a file you pass. Call {@code
 * initialize(manager)} before running.
 */
public final class ResNets {

    private ResNets() {}

    /**
     * ResNet-18.
     *
     * @return the model
     */
    public static ResNet resnet18() {
        return builder("resnet18").build();
    }

    /**
     * ResNet-34.
     *
     * @return the model
     */
    public static ResNet resnet34() {
        return builder("resnet34").build();
    }

    /**
     * ResNet-50.
     *
     * @return the model
     */
    public static ResNet resnet50() {
        return builder("resnet50").build();
    }

    /**
     * ResNet-101.
     *
     * @return the model
     */
    public static ResNet resnet101() {
        return builder("resnet101").build();
    }

    /**
     * ResNet-152.
     *
     * @return the model
     */
    public static ResNet resnet152() {
        return builder("resnet152").build();
    }

    /**
     * ResNeXt-50 32x4d.
     *
     * @return the model
     */
    public static ResNet resnext50_32x4d() {
        return builder("resnext50_32x4d").build();
    }

    /**
     * ResNeXt-101 32x8d.
     *
     * @return the model
     */
    public static ResNet resnext101_32x8d() {
        return builder("resnext101_32x8d").build();
    }

    /**
     * ResNeXt-101 64x4d.
     *
     * @return the model
     */
    public static ResNet resnext101_64x4d() {
        return builder("resnext101_64x4d").build();
    }

    /**
     * Wide ResNet-50-2.
     *
     * @return the model
     */
    public static ResNet wide_resnet50_2() {
        return builder("wide_resnet50_2").build();
    }

    /**
     * Wide ResNet-101-2.
     *
     * @return the model
     */
    public static ResNet wide_resnet101_2() {
        return builder("wide_resnet101_2").build();
    }

    /** The names {@link #builder(String)} knows, in torchvision's order. */
    public static final java.util.List<String> NAMES = java.util.List.of("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2");

    /**
     * A builder configured as torchvision's ResNet of that name, to change before building (a norm
     * layer such as {@code FrozenBatchNorm2d::new}, as the detection backbones use).
     *
     * @param name a torchvision ResNet name, e.g. {@code resnet50}
     * @return the builder
     * @throws IllegalArgumentException naming the known names if {@code name} is not one
     */
    public static ResNet.Builder builder(String name) {
        switch (name == null ? "" : name) {
            case "resnet18":
                return ResNet.builder().setBasicBlock().setLayers(2, 2, 2, 2);
            case "resnet34":
                return ResNet.builder().setBasicBlock().setLayers(3, 4, 6, 3);
            case "resnet50":
                return ResNet.builder().setBottleneck().setLayers(3, 4, 6, 3);
            case "resnet101":
                return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3);
            case "resnet152":
                return ResNet.builder().setBottleneck().setLayers(3, 8, 36, 3);
            case "resnext50_32x4d":
                return ResNet.builder().setBottleneck().setLayers(3, 4, 6, 3).optGroups(32).optWidthPerGroup(4);
            case "resnext101_32x8d":
                return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3).optGroups(32).optWidthPerGroup(8);
            case "resnext101_64x4d":
                return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3).optGroups(64).optWidthPerGroup(4);
            case "wide_resnet50_2":
                return ResNet.builder().setBottleneck().setLayers(3, 4, 6, 3).optWidthPerGroup(128);
            case "wide_resnet101_2":
                return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3).optWidthPerGroup(128);
            default:
                throw new IllegalArgumentException("unknown ResNet '" + name + "'; known: " + String.join(", ", NAMES));
        }
    }
}
