package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.Sequential;
import org.fx4j.nn.Sigmoid;
import org.fx4j.nn.SqueezeExcitation;

/**
 * torchvision's {@code RegNet} (the X and Y families; structure, names, defaults and initialisation of
 * torchvision 0.14): {@code stem}, {@code trunk_output} ({@code block1 ... block4}, each of
 * {@code block<i>-<j>} residual bottlenecks), {@code avgpool}, {@code fc}. Stage widths and depths come
 * from the quantised linear parameterisation ({@code depth, w_0, w_a, w_m}), computed in float32 as
 * torchvision does.
 */
public final class RegNet extends Module {

    /** torchvision's {@code ResBottleneckBlock}: optional projection {@code proj}, transform {@code f}. */
    static final class ResBottleneckBlock extends Module {
        private final Block proj;
        private final Sequential f;
        private final Block activation;

        ResBottleneckBlock(int widthIn, int widthOut, int stride, int groupWidth, double bottleneckMultiplier, double seRatio) {
            proj = widthIn != widthOut || stride != 1
                    ? register("proj", new Conv2dNormActivation(widthIn, widthOut, 1, stride, 1, BatchNorm2d::new, null))
                    : null;
            int wb = (int) Math.round(widthOut * bottleneckMultiplier);
            int groups = wb / groupWidth;
            Sequential t = new Sequential();
            t.add("a", new Conv2dNormActivation(widthIn, wb, 1, 1, 1, BatchNorm2d::new, ReLU::new));
            t.add("b", new Conv2dNormActivation(wb, wb, 3, stride, groups, BatchNorm2d::new, ReLU::new));
            if (seRatio > 0) {
                t.add("se", new SqueezeExcitation(wb, (int) Math.round(seRatio * widthIn), ReLU::new, Sigmoid::new));
            }
            t.add("c", new Conv2dNormActivation(wb, widthOut, 1, 1, 1, BatchNorm2d::new, null));
            f = register("f", t);
            activation = register("activation", new ReLU());
        }

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray out = proj != null ? F.add(ctx.call(proj, x), f.call(ctx, x)) : F.add(x, f.call(ctx, x));
            return ctx.call(activation, out);
        }
    }

    private final Block stem;
    private final Sequential trunkOutput;
    private final Block avgpool;
    private final Block fc;

    private RegNet(int depth, double w0, double wa, double wm, int groupWidth, double seRatio, int numClasses) {
        if (wa < 0 || w0 <= 0 || wm <= 1 || w0 % 8 != 0) {
            throw new IllegalArgumentException("Invalid RegNet settings");
        }
        // torchvision computes the block widths in float32 tensors
        int[] blockWidths = new int[depth];
        for (int i = 0; i < depth; i++) {
            float cont = (float) i * (float) wa + (float) w0;
            float capacity = (float) Math.rint((float) Math.log(cont / (float) w0) / (float) Math.log(wm));
            float width = (float) Math.pow((float) wm, capacity) * (float) w0;
            blockWidths[i] = (int) Math.rint(width / 8f) * 8;
        }
        List<Integer> stageWidths = new ArrayList<>();
        List<Integer> stageDepths = new ArrayList<>();
        for (int w : blockWidths) {
            if (stageWidths.isEmpty() || stageWidths.get(stageWidths.size() - 1) != w) {
                stageWidths.add(w);
                stageDepths.add(1);
            } else {
                stageDepths.set(stageDepths.size() - 1, stageDepths.get(stageDepths.size() - 1) + 1);
            }
        }
        if (new LinkedHashSet<>(stageWidths).size() != stageWidths.size()) {
            throw new IllegalStateException("RegNet widths repeat across stages: " + stageWidths);
        }
        stem = register("stem", new Conv2dNormActivation(3, 32, 3, 2, 1, BatchNorm2d::new, ReLU::new));
        Sequential trunk = new Sequential();
        int current = 32;
        for (int s = 0; s < stageWidths.size(); s++) {
            // _adjust_widths_groups_compatibilty with bottleneck multiplier 1.0
            int widthOut = stageWidths.get(s);
            int g = Math.min(groupWidth, widthOut);
            widthOut = MobileNetV2.makeDivisible(widthOut, g);
            Sequential stage = new Sequential();
            for (int j = 0; j < stageDepths.get(s); j++) {
                stage.add("block" + (s + 1) + "-" + j,
                        new ResBottleneckBlock(j == 0 ? current : widthOut, widthOut, j == 0 ? 2 : 1, g, 1.0, seRatio));
            }
            trunk.add("block" + (s + 1), stage);
            current = widthOut;
        }
        trunkOutput = register("trunk_output", trunk);
        avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        fc = register("fc", new Linear(current, numClasses));
        // torchvision's RegNet sets convolution weights only: squeeze-excitation biases keep their default
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanOut(), false);
        TorchvisionInit.linears(this, Init.normal(0.01f));
    }

    /**
     * Creates a RegNet from torchvision's parameters.
     *
     * @param depth number of blocks
     * @param w0 initial width
     * @param wa width slope
     * @param wm width multiplier
     * @param groupWidth group width
     * @param seRatio squeeze-excitation ratio (0 for the X family)
     * @return the model (1000 classes)
     */
    public static RegNet of(int depth, double w0, double wa, double wm, int groupWidth, double seRatio) {
        return new RegNet(depth, w0, wa, wm, groupWidth, seRatio, 1000);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "RegNet");
        x = ctx.call(stem, x);
        x = trunkOutput.call(ctx, x);
        x = ctx.call(avgpool, x);
        x = x.flatten(1, -1);
        return ctx.call(fc, x);
    }
}
