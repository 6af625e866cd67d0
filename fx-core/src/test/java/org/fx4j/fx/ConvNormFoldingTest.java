package org.fx4j.fx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.FrozenBatchNorm2d;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Batch norms folded into their convolutions at inference: same outputs, current weights, nothing leaked or changed. */
class ConvNormFoldingTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /**
     * Two foldable pairs (BatchNorm2d after a bias-free strided conv, FrozenBatchNorm2d after a biased,
     * dilated, grouped one) and one that is not (the conv's output is read twice).
     */
    static final class Net extends Module {
        private final Conv2d conv1 = register("conv1", Conv2d.builder().setInChannels(3).setOutChannels(8)
                .setKernelSize(3).optPadding(1).optStride(2).optBias(false).build());
        private final BatchNorm2d bn1 = register("bn1", new BatchNorm2d(8));
        private final Conv2d conv2 = register("conv2", Conv2d.builder().setInChannels(8).setOutChannels(6)
                .setKernelSize(3).optPadding(2).optDilation(2).optGroups(2).build());
        private final FrozenBatchNorm2d bn2 = register("bn2", new FrozenBatchNorm2d(6));
        // read by its norm and by the sum: not foldable
        private final Conv2d conv3 = register("conv3", Conv2d.builder().setInChannels(6).setOutChannels(6)
                .setKernelSize(3).optPadding(1).build());
        private final BatchNorm2d bn3 = register("bn3", new BatchNorm2d(6));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray a = F.relu(bn1.call(ctx, conv1.call(ctx, x)));
            NDArray b = F.relu(bn2.call(ctx, conv2.call(ctx, a)));
            NDArray c = conv3.call(ctx, b);
            return F.add(bn3.call(ctx, c), c);
        }
    }

    /**
     * Residual adds the inference pass may compute in place: {@code c} is a fresh norm output that the
     * second add reads again (so the first add must not overwrite it), the input is an operand too.
     */
    static final class ResidualNet extends Module {
        private final Conv2d conv1 = register("conv1", Conv2d.builder().setInChannels(3).setOutChannels(3)
                .setKernelSize(3).optPadding(1).optBias(false).build());
        private final BatchNorm2d bn1 = register("bn1", new BatchNorm2d(3));
        private final Conv2d conv2 = register("conv2", Conv2d.builder().setInChannels(3).setOutChannels(3)
                .setKernelSize(1).build());
        private final BatchNorm2d bn2 = register("bn2", new BatchNorm2d(3));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray c = bn1.call(ctx, conv1.call(ctx, x));
            NDArray d = bn2.call(ctx, conv2.call(ctx, x));
            NDArray s = F.add(c, d); // c is read again below: only d may take the sum
            NDArray t = F.add(s, c); // c has two readers and s is not fresh: no in-place sum
            return F.relu(F.add(t, x)); // x is the caller's: never overwritten
        }
    }

    /**
     * A fresh norm output read by an add and by a view of it (a permute) that is a graph output, and one
     * added to its own transposed view: overwriting it in place would change the view, or overlap it.
     */
    static final class ViewNet extends Module {
        private final Conv2d conv = register("conv", Conv2d.builder().setInChannels(3).setOutChannels(3)
                .setKernelSize(3).optPadding(1).optBias(false).build());
        private final BatchNorm2d bn = register("bn", new BatchNorm2d(3));
        private final Conv2d conv2 = register("conv2", Conv2d.builder().setInChannels(3).setOutChannels(3)
                .setKernelSize(1).optBias(false).build());
        private final BatchNorm2d bn2 = register("bn2", new BatchNorm2d(3));

        @Override
        public NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.get(0);
            NDArray y = bn.call(ctx, conv.call(ctx, x));
            NDArray view = F.permute(y, 0, 1, 3, 2);
            NDArray sum = F.add(y, x);
            NDArray z = bn2.call(ctx, conv2.call(ctx, x));
            NDArray withOwnView = F.add(z, F.permute(z, 0, 1, 3, 2));
            return new NDList(sum, view, withOwnView);
        }
    }

    private static Net net(DataType type) {
        return randomized(new Net(), type);
    }

    @Test
    void inPlaceResidualAddsLeaveValuesReadLaterAndTheInputIntact() {
        ResidualNet net = randomized(new ResidualNet(), DataType.FLOAT64);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "ResidualNet");
        NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 3, 7, 5), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        double[] input = x.toDoubleArray();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            NDArray plain = run(g, x, false);
            assertEquals(0, g.inPlaceAddsInLastPass(), "the graph as traced adds into new arrays");
            NDArray folded = run(g, x, true);
            assertEquals(1, g.inPlaceAddsInLastPass(), "c + d into d (c is read again; s and t are not fresh)");
            assertEquals(2, g.foldedInLastPass());
            NDArray again = run(g, x, true);
            double worst = worstRelative(folded, plain);
            assertTrue(worst < 1e-13, "folded with in-place adds differs by " + worst);
            assertArrayEquals(folded.toDoubleArray(), again.toDoubleArray(), "the second pass gives the same result");
            assertArrayEquals(input, x.toDoubleArray(), "the input is not modified");
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Test
    void aValueWithAViewIsNeverOverwritten() {
        ViewNet net = randomized(new ViewNet(), DataType.FLOAT64);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "ViewNet");
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 6, 6), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            g.foldBatchNorms(false);
            NDList plain = g.forward(new NDList(x));
            g.foldBatchNorms(true);
            NDList folded = g.forward(new NDList(x));
            assertEquals(2, g.foldedInLastPass());
            assertEquals(0, g.inPlaceAddsInLastPass(), "y and z have other readers (their views)");
            for (int i = 0; i < 3; i++) {
                double worst = worstRelative(folded.get(i), plain.get(i));
                assertTrue(worst < 1e-13, "output " + i + " differs by " + worst);
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private static <T extends Module> T randomized(T net, DataType type) {
        net.initialize(manager.newSubManager(), type); // its own manager: what folding leaves there is counted
        // Statistics and affine parameters far from the identity, so a wrong fold shows.
        ai.djl.engine.Engine.getInstance().setRandomSeed(5);
        for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
            NDArray v = e.getValue().getArray();
            if (v.getShape().dimension() == 0) {
                continue; // num_batches_tracked
            }
            if (e.getKey().endsWith("running_var")) {
                v.set(new NDIndex(":"), manager.randomUniform(0.2f, 3f, v.getShape()).toType(type, false));
            } else if (e.getKey().endsWith("running_mean") || e.getKey().startsWith("bn") || e.getKey().endsWith("bias")) {
                v.set(new NDIndex(":"), manager.randomNormal(0f, 0.7f, v.getShape(), DataType.FLOAT32).toType(type, false));
            }
        }
        net.eval();
        return net;
    }

    private static double worstRelative(NDArray a, NDArray b) {
        double max = b.abs().max().toType(DataType.FLOAT64, false).getDouble();
        return a.sub(b).abs().max().toType(DataType.FLOAT64, false).getDouble() / max;
    }

    private static NDArray run(GraphModule g, NDArray x, boolean fold) {
        g.foldBatchNorms(fold);
        return g.forward(new NDList(x)).singletonOrThrow();
    }

    @Test
    void foldedFloat64MatchesTheUnfoldedGraphNearRoundOff() {
        Net net = net(DataType.FLOAT64);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "Net");
        assertEquals(2, g.foldablePairs(), "conv1+bn1 and conv2+bn2 fold; conv3 is read twice");
        NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 3, 13, 17), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            NDArray plain = run(g, x, false);
            NDArray folded = run(g, x, true);
            double worst = worstRelative(folded, plain);
            System.out.printf("conv+bn folding float64: worst |diff|/max|ref| %.1e%n", worst);
            assertTrue(worst < 1e-13, "float64 folding differs by " + worst);
            assertTrue(worst > 0, "folding ran (rounding differs from the unfolded graph)");
            assertArrayEquals(net.forward(x).toDoubleArray(), plain.toDoubleArray(), "the unfolded graph is the model");
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Test
    void foldedFloat32IsWithin1e5OfTheLargestValue() {
        Net net = net(DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "Net");
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 32, 32), DataType.FLOAT32);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            double worst = worstRelative(run(g, x, true), run(g, x, false));
            assertTrue(worst < 1e-5, "float32 folding differs by " + worst);
            assertTrue(worst > 0, "folding ran");
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Test
    void foldingSeesNewWeightsLeavesParametersAndLeaksNothing() {
        Net net = net(DataType.FLOAT64);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "Net");
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 9, 9), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            run(g, x, true);
            NDArray weight = net.stateDict().get("conv1.weight").getArray();
            double[] before = weight.toDoubleArray();
            int owned = weight.getManager().getManagedArrays().size();
            // New statistics after the first folded call (as a checkpoint load would write them).
            net.stateDict().get("bn1.running_var").getArray().muli(4);
            net.stateDict().get("bn2.running_mean").getArray().addi(1.5);
            org.fx4j.nn.Module.weightsChanged(); // a hand edit is declared (a checkpoint load declares itself)
            NDArray folded = run(g, x, true);
            NDArray plain = run(g, x, false);
            double worst = worstRelative(folded, plain);
            assertTrue(worst < 1e-13 && worst > 0, "the folded graph uses the current statistics: " + worst);
            assertArrayEquals(before, weight.toDoubleArray(), "the model's weights are not modified");
            assertEquals(owned, weight.getManager().getManagedArrays().size(), "folded weights are freed");
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Test
    void trainingModeAndGradientsRunTheUnfoldedGraph() {
        Net net = net(DataType.FLOAT64);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "Net").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 3, 9, 9), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        boolean grad = JniUtils.isGradMode();
        try {
            JniUtils.setGradMode(true);
            assertArrayEquals(run(g, x, false).toDoubleArray(), run(g, x, true).toDoubleArray(),
                    "with gradients recorded nothing is folded");
            JniUtils.setGradMode(false);
            net.train();
            // bn1 normalises by the batch's statistics in training mode: folding its running ones would differ.
            NDArray unfolded = run(g, x, false);
            NDArray folded = run(g, x, true);
            assertTrue(worstRelative(folded, unfolded) < 1e-13, "a training-mode BatchNorm2d is not folded");
        } finally {
            JniUtils.setGradMode(grad);
            net.eval();
        }
    }
}
