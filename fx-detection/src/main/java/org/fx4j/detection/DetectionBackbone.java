package org.fx4j.detection;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * A backbone a detection model can stand on: torchvision's {@code backbone.out_channels} contract. Its
 * forward takes an image batch and returns named feature maps, all of {@link #outChannels()}
 * channels, finest first ({@code 0, 1, 2, 3, pool} for torchvision's FPN backbones).
 */
public interface DetectionBackbone {

    /**
     * Returns the channels of every feature map (torchvision's {@code out_channels}).
     *
     * @return the channels
     */
    int outChannels();

    /**
     * Returns the names of the feature maps, finest first. The default runs the backbone once on a
     * 1x3x128x128 zero image in evaluation mode (the seed's "dry run"), which needs its parameters
     * initialised; backbones that know their names override it.
     *
     * @return the names
     * @throws IllegalStateException if the backbone is not a module or not initialised
     */
    default List<String> featureNames() {
        if (!(this instanceof Module)) {
            throw new IllegalStateException(getClass().getSimpleName() + " is not an fx4j Module; override"
                    + " featureNames() to list its feature maps");
        }
        Module module = (Module) this;
        if (!module.isInitialized()) {
            throw new IllegalStateException(getClass().getSimpleName() + " is not initialised, so its feature maps"
                    + " cannot be found by a dry run; initialise it first or override featureNames()");
        }
        DataType type = DataType.FLOAT32;
        for (Parameter p : module.stateDict().values()) {
            if (p.getArray().getDataType().isFloating()) {
                type = p.getArray().getDataType();
                break;
            }
        }
        Engine.getEngine("PyTorch");
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDList out = module.forward(ForwardContext.eager(module).allEval(),
                    new NDList(m.zeros(new Shape(1, 3, 128, 128), type)));
            List<String> names = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                names.add(mapName(out, i));
            }
            return names;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * The name of a backbone's output map: its array's name, else {@code "0"} for a lone map (as
     * torchvision wraps a tensor in {@code OrderedDict([("0", x)])}), else its position.
     *
     * @param maps the backbone's outputs
     * @param i the map's index
     * @return its name
     */
    static String mapName(NDList maps, int i) {
        String name = maps.get(i).getName();
        return name != null ? name : maps.size() == 1 ? "0" : Integer.toString(i);
    }
}
