package org.fx4j.examples.cli;

import java.util.ArrayList;
import java.util.List;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.models.ResNets;
import org.fx4j.nn.Module;

/**
 * The backbones {@code --fpn} builds: {@code resnetFpnBackbone(MODEL)} for the ResNet family and
 * {@code mobilenetBackbone(MODEL, fpn=true)} for MobileNetV2/V3, with torchvision's defaults.
 */
final class FpnBackboneCatalog {

    private FpnBackboneCatalog() {}

    /** The names {@code --fpn} takes. */
    static List<String> names() {
        List<String> out = new ArrayList<>(ResNets.NAMES);
        out.addAll(DetectionBackbones.MOBILENETS);
        return out;
    }

    /**
     * Builds the FPN backbone of a model name.
     *
     * @throws IllegalArgumentException listing the names if {@code name} has no FPN backbone
     */
    static Module create(String name) {
        if (ResNets.NAMES.contains(name)) {
            return DetectionBackbones.resnetFpnBackbone(name);
        }
        if (DetectionBackbones.MOBILENETS.contains(name)) {
            return DetectionBackbones.mobilenetBackbone(name, true);
        }
        throw new IllegalArgumentException("no FPN backbone for '" + name + "'; --fpn takes " + String.join(", ",
                names()));
    }
}
