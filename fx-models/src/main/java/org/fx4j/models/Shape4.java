package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.fx4j.nn.Symbolic;

/** Input checks shared by image backbones; skipped while tracing, where shapes do not exist. */
final class Shape4 {

    private Shape4() {}

    static void check(NDArray x, int channels, String model) {
        if (Symbolic.isSymbolic(x)) {
            return;
        }
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != channels) {
            throw new IllegalArgumentException(
                    model + " expects a batch of images of shape [N, " + channels + ", H, W], got " + s);
        }
    }
}
