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
        return ResNet.builder().setBasicBlock().setLayers(2, 2, 2, 2).build();
    }

    /**
     * ResNet-34.
     *
     * @return the model
     */
    public static ResNet resnet34() {
        return ResNet.builder().setBasicBlock().setLayers(3, 4, 6, 3).build();
    }

    /**
     * ResNet-50.
     *
     * @return the model
     */
    public static ResNet resnet50() {
        return ResNet.builder().setBottleneck().setLayers(3, 4, 6, 3).build();
    }

    /**
     * ResNet-101.
     *
     * @return the model
     */
    public static ResNet resnet101() {
        return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3).build();
    }

    /**
     * ResNet-152.
     *
     * @return the model
     */
    public static ResNet resnet152() {
        return ResNet.builder().setBottleneck().setLayers(3, 8, 36, 3).build();
    }

    /**
     * ResNeXt-50 32x4d.
     *
     * @return the model
     */
    public static ResNet resnext50_32x4d() {
        return ResNet.builder().setBottleneck().setLayers(3, 4, 6, 3).optGroups(32).optWidthPerGroup(4).build();
    }

    /**
     * ResNeXt-101 32x8d.
     *
     * @return the model
     */
    public static ResNet resnext101_32x8d() {
        return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3).optGroups(32).optWidthPerGroup(8).build();
    }

    /**
     * ResNeXt-101 64x4d.
     *
     * @return the model
     */
    public static ResNet resnext101_64x4d() {
        return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3).optGroups(64).optWidthPerGroup(4).build();
    }

    /**
     * Wide ResNet-50-2.
     *
     * @return the model
     */
    public static ResNet wide_resnet50_2() {
        return ResNet.builder().setBottleneck().setLayers(3, 4, 6, 3).optWidthPerGroup(128).build();
    }

    /**
     * Wide ResNet-101-2.
     *
     * @return the model
     */
    public static ResNet wide_resnet101_2() {
        return ResNet.builder().setBottleneck().setLayers(3, 4, 23, 3).optWidthPerGroup(128).build();
    }
}
