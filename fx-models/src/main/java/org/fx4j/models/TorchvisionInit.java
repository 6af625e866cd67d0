package org.fx4j.models;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;

/**
 * The weight-initialisation loops of torchvision's model constructors ({@code for m in
 * self.modules(): if isinstance(m, nn.Conv2d): ...}), applied to the initialisers that {@code
 * initialize} uses. Batch norms keep their own defaults (weight 1, bias 0), as in torchvision.
 */
public final class TorchvisionInit {

    private TorchvisionInit() {}

    /**
     * Sets every convolution's weight initialiser, and zeroes its bias if it has one and {@code
     * zeroBias} is set (torchvision's models differ on this).
     *
     * @param model the model whose convolutions (at any depth) are set
     * @param weight the weight initialiser
     * @param zeroBias whether biases start at zero
     */
    public static void convolutions(Module model, Initializer weight, boolean zeroBias) {
        for (Block m : model.namedModules().values()) {
            if (m instanceof Conv2d) {
                ((Conv2d) m).getWeight().setInitializer(weight);
                Parameter bias = m.getDirectParameters().get("bias");
                if (zeroBias && bias != null) {
                    bias.setInitializer(Init.constant(0f));
                }
            }
        }
    }

    /**
     * Zeroes every linear layer's bias (where it has one) and, unless {@code weight} is null, sets its
     * weight initialiser.
     *
     * @param model the model whose linear layers (at any depth) are set
     * @param weight the weight initialiser, or null to keep the default
     */
    public static void linears(Module model, Initializer weight) {
        for (Block m : model.namedModules().values()) {
            if (m instanceof Linear) {
                if (weight != null) {
                    m.getDirectParameters().get("weight").setInitializer(weight);
                }
                Parameter bias = m.getDirectParameters().get("bias");
                if (bias != null) {
                    bias.setInitializer(Init.constant(0f));
                }
            }
        }
    }
}
