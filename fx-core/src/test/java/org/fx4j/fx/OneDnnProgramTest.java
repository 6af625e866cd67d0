package org.fx4j.fx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.fx4j.nn.Identity;
import org.fx4j.nn.MaxPool2d;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The oneDNN program of an inference pass: the same outputs as the graph node by node, current weights, clear errors. */
class OneDnnProgramTest {

    private static NDManager manager;
    private boolean grad;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @BeforeEach
    void noGradients() {
        grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    @AfterEach
    void restore() {
        JniUtils.setGradMode(grad);
    }

    /**
     * A ResNet in small: a strided stem with its norm and ReLU module, max pooling, a bottleneck with a
     * strided grouped convolution and a downsampling shortcut, then a block whose convolution has a bias
     * and no norm, an Identity and an identity shortcut. Returns the stem's output (which both shortcuts'
     * convolutions read, so no add may overwrite it), the bottleneck's and the last block's.
     */
    static final class TinyResNet extends Module {
        private final Conv2d stem = register("stem", Conv2d.builder().setInChannels(3).setOutChannels(8)
                .setKernelSize(3).optPadding(1).optStride(2).optBias(false).build());
        private final BatchNorm2d stemBn = register("stem_bn", new BatchNorm2d(8));
        private final ReLU relu = register("relu", new ReLU());
        private final MaxPool2d pool = register("pool", new MaxPool2d(3, 2, 1));
        private final Conv2d conv1 = register("conv1", Conv2d.builder().setInChannels(8).setOutChannels(4)
                .setKernelSize(1).optBias(false).build());
        private final BatchNorm2d bn1 = register("bn1", new BatchNorm2d(4));
        private final Conv2d conv2 = register("conv2", Conv2d.builder().setInChannels(4).setOutChannels(4)
                .setKernelSize(3).optPadding(2).optDilation(2).optStride(2).optGroups(2).optBias(false).build());
        private final BatchNorm2d bn2 = register("bn2", new BatchNorm2d(4));
        private final Conv2d conv3 = register("conv3", Conv2d.builder().setInChannels(4).setOutChannels(16)
                .setKernelSize(1).optBias(false).build());
        private final BatchNorm2d bn3 = register("bn3", new BatchNorm2d(16));
        private final Conv2d down = register("down", Conv2d.builder().setInChannels(8).setOutChannels(16)
                .setKernelSize(1).optStride(2).optBias(false).build());
        private final BatchNorm2d downBn = register("down_bn", new BatchNorm2d(16));
        private final Conv2d conv4 = register("conv4", Conv2d.builder().setInChannels(16).setOutChannels(16)
                .setKernelSize(3).optPadding(1).build());
        private final Identity identity = register("identity", new Identity());

        @Override
        public NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray s = pool.call(ctx, relu.call(ctx, stemBn.call(ctx, stem.call(ctx, inputs.get(0)))));
            NDArray h = F.relu(bn1.call(ctx, conv1.call(ctx, s)));
            h = F.relu(bn2.call(ctx, conv2.call(ctx, h)));
            NDArray b = relu.call(ctx, F.add(bn3.call(ctx, conv3.call(ctx, h)), downBn.call(ctx, down.call(ctx, s))));
            // b, an output, is the add's first operand and this is its last reader: it must not take the sum.
            NDArray c = F.relu(F.add(b, identity.call(ctx, F.relu(conv4.call(ctx, b)))));
            return new NDList(s, b, c);
        }
    }

    /** One unpadded 3x3 convolution with its norm and ReLU. */
    static final class Valid extends Module {
        private final Conv2d conv = register("conv", Conv2d.builder().setInChannels(3).setOutChannels(4)
                .setKernelSize(3).optBias(false).build());
        private final BatchNorm2d bn = register("bn", new BatchNorm2d(4));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            return F.relu(bn.call(ctx, conv.call(ctx, x)));
        }
    }

    /** The input handed on by an Identity as an output, and a sigmoid where the program stops. */
    static final class IdentityOfInput extends Module {
        private final Identity identity = register("identity", new Identity());
        private final Conv2d conv = register("conv", Conv2d.builder().setInChannels(3).setOutChannels(4)
                .setKernelSize(3).optPadding(1).optBias(false).build());
        private final BatchNorm2d bn = register("bn", new BatchNorm2d(4));

        @Override
        public NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray i = identity.call(ctx, inputs.get(0));
            NDArray y = F.relu(bn.call(ctx, conv.call(ctx, i)));
            return new NDList(i, F.sigmoid(y));
        }
    }

    /** An add that broadcasts: a 1x1 output (an unpadded 3x3 convolution of a 3x3 input) plus a 3x3 one. */
    static final class BroadcastAdd extends Module {
        private final Conv2d small = register("small", Conv2d.builder().setInChannels(3).setOutChannels(4)
                .setKernelSize(3).build());
        private final Conv2d same = register("same", Conv2d.builder().setInChannels(3).setOutChannels(4)
                .setKernelSize(3).optPadding(1).build());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            return F.add(small.call(ctx, x), same.call(ctx, x));
        }
    }

    private static <T extends Module> T randomized(T net, DataType type) {
        net.initialize(manager.newSubManager(), type);
        ai.djl.engine.Engine.getInstance().setRandomSeed(7);
        for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
            NDArray v = e.getValue().getArray();
            if (v.getShape().dimension() == 0) {
                continue;
            }
            if (e.getKey().endsWith("running_var")) {
                v.set(new NDIndex(":"), manager.randomUniform(0.2f, 3f, v.getShape()).toType(type, false));
            } else if (e.getKey().endsWith("running_mean") || e.getKey().endsWith("bias")) {
                v.set(new NDIndex(":"), manager.randomNormal(0f, 0.7f, v.getShape(), DataType.FLOAT32).toType(type, false));
            }
        }
        net.eval();
        return net;
    }

    private static NDList run(GraphModule g, NDArray x, boolean program) {
        g.useOneDnn(program);
        return g.forward(new NDList(x));
    }

    private static double worstRelative(NDList a, NDList b) {
        double worst = 0;
        for (int i = 0; i < b.size(); i++) {
            assertEquals(b.get(i).getShape(), a.get(i).getShape());
            double max = b.get(i).abs().max().toType(DataType.FLOAT64, false).getDouble();
            worst = Math.max(worst, a.get(i).sub(b.get(i)).abs().max().toType(DataType.FLOAT64, false).getDouble() / max);
        }
        return worst;
    }

    @Test
    void float32RunsAsOneProgramWithTheGraphsOutputs() {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        assertNull(g.oneDnnUnavailable(), "every node is one the program runs");
        String source = g.oneDnnSource();
        assertTrue(source.contains("torch.mkldnn_convolution(") && source.contains("torch.add_("), source);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 3, 37, 29), DataType.FLOAT32);
        float[] input = x.toFloatArray();
        NDList nodeByNode = run(g, x, false);
        assertFalse(g.oneDnnInLastPass());
        NDList program = run(g, x, true);
        assertTrue(g.oneDnnInLastPass(), () -> "the pass ran as the oneDNN program: " + g.oneDnnUnavailable() + " / "
                + g.oneDnnLastRefusal() + "\n" + source);
        assertEquals(5, g.foldedInLastPass(), "stem, conv1, conv2, conv3 and down carry their norms");
        assertEquals(2, g.inPlaceAddsInLastPass(), "the program writes the same two sums in place");
        assertEquals(3, program.size());
        double worst = worstRelative(program, nodeByNode);
        System.out.printf("oneDNN program float32: worst |diff|/max|ref| %.1e%n", worst);
        assertTrue(worst < 1e-5, "the program differs by " + worst);
        for (int i = 0; i < program.size(); i++) {
            assertEquals(nodeByNode.get(i).getName(), program.get(i).getName());
        }
        NDList again = run(g, x, true);
        for (int i = 0; i < program.size(); i++) {
            assertArrayEquals(program.get(i).toFloatArray(), again.get(i).toFloatArray(),
                    "a second run gives the same " + program.get(i).getName());
        }
        assertArrayEquals(input, x.toFloatArray(), "the input is not modified");
        assertNull(x.getName(), "nor its name");
        // Ordinary arrays, not libtorch inference tensors: the caller may update them in place.
        float first = again.get(2).toFloatArray()[0];
        again.get(2).addi(1f);
        assertEquals(first + 1f, again.get(2).toFloatArray()[0], 1e-6f);
        // Outputs read last by an add (b) are never overwritten: b would hold the final sum.
        assertArrayEquals(nodeByNode.get(1).toFloatArray(), program.get(1).toFloatArray(), 1e-5f);
    }

    @Test
    void otherTypesAndTheSwitchesRunNodeByNode() {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT64);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 16, 16), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        run(g, x, true);
        assertFalse(g.oneDnnInLastPass(), "oneDNN's layout has no float64");
        TinyResNet net32 = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g32 = new GraphModule(Tracer.trace(net32, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray x32 = manager.randomNormal(0f, 1f, new Shape(1, 3, 16, 16), DataType.FLOAT32);
        g32.foldBatchNorms(false);
        g32.forward(new NDList(x32));
        assertFalse(g32.oneDnnInLastPass(), "foldBatchNorms(false) turns the whole inference pass off");
        g32.foldBatchNorms(true);
        JniUtils.setGradMode(true);
        g32.forward(new NDList(x32));
        assertFalse(g32.oneDnnInLastPass(), "passes that record gradients run node by node");
    }

    @Test
    void theProgramRunsTheGraphsBeginningAndTheRestRunsNodeByNode() {
        // conv3's output is read by its own norm and by the add: bn3 is a norm of its own, where the program stops.
        ConvNormFoldingTest.Net net = randomized(new ConvNormFoldingTest.Net(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "Net").foldBatchNorms(true);
        assertNull(g.oneDnnUnavailable());
        assertTrue(g.oneDnnStop().contains("'bn3'"), g.oneDnnStop());
        NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 3, 19, 23), DataType.FLOAT32);
        NDList nodeByNode = run(g, x, false);
        NDList program = run(g, x, true);
        assertTrue(g.oneDnnInLastPass());
        assertEquals(2, g.foldedInLastPass(), "conv1 + bn1 and conv2 + bn2 ran folded in the program");
        double worst = worstRelative(program, nodeByNode);
        assertTrue(worst < 1e-5, "the program's beginning and the rest differ from the graph by " + worst);
        NDList again = run(g, x, true);
        assertArrayEquals(program.singletonOrThrow().toFloatArray(), again.singletonOrThrow().toFloatArray());
    }

    /** A sigmoid before the first convolution: nothing the program could start with. */
    static final class SigmoidFirst extends Module {
        private final Conv2d conv = register("conv", Conv2d.builder().setInChannels(3).setOutChannels(4)
                .setKernelSize(1).build());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            return conv.call(ctx, F.sigmoid(x));
        }
    }

    /** A sigmoid traced between a convolution and its norm: the program would stop between them. */
    static final class NormAfterSigmoid extends Module {
        private final Conv2d conv = register("conv", Conv2d.builder().setInChannels(3).setOutChannels(3)
                .setKernelSize(3).optPadding(1).optBias(false).build());
        private final BatchNorm2d bn = register("bn", new BatchNorm2d(3));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray c = conv.call(ctx, x);
            NDArray s = F.sigmoid(x);
            return F.add(bn.call(ctx, c), s);
        }
    }

    @Test
    void aConvolutionWhoseNormFallsOutsideStaysOutOfTheProgram() {
        NormAfterSigmoid net = randomized(new NormAfterSigmoid(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "NormAfterSigmoid").foldBatchNorms(true);
        assertEquals(1, g.foldablePairs());
        String why = g.oneDnnUnavailable();
        assertTrue(why != null && why.contains("'conv'") && why.contains("norm is outside"), why);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 9, 9), DataType.FLOAT32);
        NDList folded = run(g, x, true);
        assertFalse(g.oneDnnInLastPass());
        g.foldBatchNorms(false);
        assertTrue(worstRelative(folded, run(g, x, true)) < 1e-5, "the norm is applied once");
    }

    @Test
    void aGraphThatCannotStartAProgramSaysWhy() {
        SigmoidFirst net = randomized(new SigmoidFirst(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "SigmoidFirst").foldBatchNorms(true);
        String why = g.oneDnnUnavailable();
        assertNotNull(why);
        assertTrue(why.contains("'sigmoid'") && why.contains("outside the oneDNN program's operators"), why);
        assertNull(g.oneDnnSource());
        g.forward(new NDList(manager.randomNormal(0f, 1f, new Shape(1, 3, 8, 8), DataType.FLOAT32)));
        assertFalse(g.oneDnnInLastPass());
    }

    @Test
    void anInputSmallerThanAKernelGetsTheGraphsError() {
        Valid net = randomized(new Valid(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "Valid").foldBatchNorms(true);
        NDArray small = manager.randomNormal(0f, 1f, new Shape(1, 3, 2, 2), DataType.FLOAT32);
        RuntimeException e = assertThrows(RuntimeException.class, () -> run(g, small, true));
        assertTrue(e.getMessage().contains("Valid node 'conv'"), e.getMessage());
        assertNull(g.oneDnnLastRefusal(), "the program's shape check kept it from libtorch");
        NDArray flat = manager.randomNormal(0f, 1f, new Shape(1, 3, 0, 8), DataType.FLOAT32);
        try {
            run(g, flat, true);
        } catch (RuntimeException thrown) {
            assertTrue(thrown.getMessage().contains("Valid node"), thrown.getMessage());
        }
        assertFalse(g.oneDnnInLastPass(), "an empty dimension runs node by node");
        assertNull(g.oneDnnLastRefusal());
        run(g, manager.randomNormal(0f, 1f, new Shape(1, 3, 5, 5), DataType.FLOAT32), true);
        assertTrue(g.oneDnnInLastPass());
    }

    @Test
    void anIdentityOfTheInputIsHandedOn() {
        IdentityOfInput net = randomized(new IdentityOfInput(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "IdentityOfInput").foldBatchNorms(true);
        assertTrue(g.oneDnnStop().contains("'sigmoid'"), g.oneDnnStop());
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 6, 6), DataType.FLOAT32);
        NDList program = run(g, x, true);
        assertTrue(g.oneDnnInLastPass(), () -> String.valueOf(g.oneDnnLastRefusal()));
        NDList nodeByNode = run(g, x, false);
        assertArrayEquals(x.toFloatArray(), program.get(0).toFloatArray(), "the first output is the input");
        assertTrue(program.get(0) != x, "as a copy the caller owns");
        assertTrue(worstRelative(program, nodeByNode) < 1e-5);
    }

    @Test
    void anAddThatBroadcastsRunsInTheProgram() {
        BroadcastAdd net = randomized(new BroadcastAdd(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "BroadcastAdd").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 3, 3, 3), DataType.FLOAT32);
        NDList program = run(g, x, true);
        assertTrue(g.oneDnnInLastPass(), () -> "refused: " + g.oneDnnLastRefusal());
        assertTrue(g.oneDnnSource().contains("torch.add_("), "written in place where the shapes match");
        assertEquals(0, g.inPlaceAddsInLastPass(), "the 1x1 operand broadcasts: the sum is a new array");
        assertEquals(new Shape(2, 4, 3, 3), program.singletonOrThrow().getShape());
        assertTrue(worstRelative(program, run(g, x, false)) < 1e-5);
    }

    /**
     * What libtorch refuses inside the program frees the program's arguments all the same: each refusal of a
     * 256 MB input would otherwise keep that input alive (DJL's own call frees its argument values only after
     * a run that succeeds).
     */
    @Test
    void aRefusalInsideTheProgramKeepsNothingAlive() throws Exception {
        Valid net = randomized(new Valid(), DataType.FLOAT32);
        Graph graph = Tracer.trace(net, false, null);
        Map<Node, Boolean> bias = new java.util.IdentityHashMap<>();
        for (Node n : graph.nodes()) {
            if (n.callable() instanceof Conv2d) {
                bias.put(n, false);
            }
        }
        OneDnnProgram program = OneDnnProgram.compile(graph, Map.of(), bias);
        assertTrue(OneDnnProgram.ownsItsArguments(), "the program's call outside DJL's IValueUtils is available");
        try (NDManager m = manager.newSubManager()) {
            // weights of the wrong shape (5 input channels, not 3): libtorch refuses at the convolution
            ai.djl.pytorch.engine.PtNDArray[] wrong = {(ai.djl.pytorch.engine.PtNDArray) m.ones(new Shape(4, 5, 3, 3)),
                (ai.djl.pytorch.engine.PtNDArray) m.ones(new Shape(4))};
            Shape big = new Shape(1, 3, 4096, 5462); // 256 MiB of float32
            for (int i = 0; i < 3; i++) {
                refuse(program, m.ones(big), wrong, m); // the allocator's large blocks settle
            }
            long before = residentBytes();
            for (int i = 0; i < 8; i++) {
                refuse(program, m.ones(big), wrong, m);
            }
            long grown = residentBytes() - before;
            // kept alive, the 8 inputs would take 2 GiB
            assertTrue(grown < 1L << 30, "8 refused 256 MiB inputs left " + (grown >> 20) + " MiB more resident");
        }
    }

    private static void refuse(OneDnnProgram program, NDArray x, ai.djl.pytorch.engine.PtNDArray[] weights,
            NDManager m) {
        try (x) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> program.run(x, weights, m));
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        }
    }

    private static long residentBytes() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void threadsShareOneProgramWhileWeightsAreDeclaredChanged() throws Exception {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 24, 24), DataType.FLOAT32);
        float[] expected = run(g, x, false).get(2).toFloatArray();
        g.useOneDnn(true);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> runs = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                runs.add(pool.submit(() -> {
                    JniUtils.setGradMode(false);
                    boolean ranProgram = false;
                    for (int i = 0; i < 15; i++) {
                        if (i % 5 == 0) {
                            Module.weightsChanged(); // every thread's next pass packs again, under the write lock
                        }
                        try (NDManager run = manager.newSubManager()) {
                            NDArray in = x.duplicate();
                            in.attach(run);
                            NDList out = g.forward(new NDList(in));
                            out.attach(run);
                            assertArrayEquals(expected, out.get(2).toFloatArray(), 1e-4f);
                            ranProgram |= g.oneDnnInLastPass();
                        }
                    }
                    return ranProgram;
                }));
            }
            boolean any = false;
            for (java.util.concurrent.Future<Boolean> f : runs) {
                any |= f.get();
            }
            assertTrue(any, "the threads ran the program");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void programPassesLeaveNothingInTheCallersOrTheModelsManager() {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDManager model = net.stateDict().get("stem.weight").getArray().getManager();
        NDArray x = manager.randomNormal(0f, 1f, new Shape(2, 3, 20, 20), DataType.FLOAT32);
        run(g, x, true).close(); // the first pass packs the weights (in the plan's own manager)
        int modelArrays = model.getManagedArrays().size();
        try (NDManager caller = NDManager.newBaseManager()) {
            NDArray in = caller.randomNormal(0f, 1f, new Shape(2, 3, 20, 20), DataType.FLOAT32);
            int before = caller.getManagedArrays().size();
            for (int i = 0; i < 20; i++) {
                g.forward(new NDList(in)).close();
                assertTrue(g.oneDnnInLastPass());
            }
            assertEquals(before, caller.getManagedArrays().size(), "every intermediate and output was closed");
        }
        assertEquals(modelArrays, model.getManagedArrays().size(), "nothing piles up in the model's manager");
    }

    @Test
    void aCheckpointLoadAndModeSwitchesAreSeen(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 20, 20), DataType.FLOAT32);
        TinyResNet other = randomized(new TinyResNet(), DataType.FLOAT32);
        other.stateDict().get("conv4.weight").getArray().muli(3);
        java.nio.file.Path file = dir.resolve("other.safetensors");
        org.fx4j.checkpoint.Checkpoints.saveSafetensors(other, file);
        NDList before = run(g, x, true);
        org.fx4j.checkpoint.Checkpoints.load(net, file, manager);
        net.train();
        net.eval();
        NDList after = run(g, x, true);
        assertTrue(g.oneDnnInLastPass());
        NDList expected = new GraphModule(Tracer.trace(other, false, null), "TinyResNet").forward(new NDList(x));
        assertTrue(worstRelative(after, expected) < 1e-5, "the loaded weights are packed");
        assertTrue(worstRelative(before, expected) > 1e-2);
    }

    @Test
    void weightsTheProgramCannotTakeAreNotPackedAgainAtEveryPass() {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT64);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 16, 16), DataType.FLOAT32);
        for (int i = 0; i < 3; i++) {
            // float64 weights, a float32 input: the program cannot take them, and node by node names the mismatch
            RuntimeException e = assertThrows(RuntimeException.class, () -> g.forward(new NDList(x)));
            assertTrue(e.getMessage().contains("TinyResNet node 'stem'"), e.getMessage());
            assertFalse(g.oneDnnInLastPass());
        }
        assertEquals(1, g.oneDnnRepacks(), "found unpackable once, not again under the write lock at every pass");
        Module.weightsChanged();
        assertThrows(RuntimeException.class, () -> g.forward(new NDList(x)));
        assertEquals(2, g.oneDnnRepacks(), "a new generation looks again");
    }

    @Test
    void arraysReplacedByHandAreSeenWithoutDeclaringThem() {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 20, 20), DataType.FLOAT32);
        NDList before = run(g, x, true);
        // New arrays for conv4 (the program's own weight) and bn1 (through its fold), the generation unmoved:
        // only the arrays' identity tells the caches they are stale.
        replace(net.stateDict().get("conv4.weight"), -2);
        replace(net.stateDict().get("bn1.running_var"), 4);
        NDList after = run(g, x, true);
        assertTrue(g.oneDnnInLastPass());
        NDList nodeByNode = run(g, x, false);
        assertTrue(worstRelative(after, nodeByNode) < 1e-5, "the program reads the new arrays");
        assertTrue(worstRelative(before, nodeByNode) > 1e-2, "and they changed the outputs");
    }

    /** Gives a parameter a new array (its values scaled), the old one closed, without Module.weightsChanged(). */
    private static void replace(Parameter p, float scale) {
        NDArray old = p.getArray();
        NDManager owner = old.getManager();
        NDArray replacement = old.mul(scale);
        replacement.attach(owner);
        ai.djl.training.initializer.Initializer original = p.getInitializer();
        p.close();
        p.setInitializer((m, shape, type) -> replacement);
        p.initialize(owner, DataType.FLOAT32);
        p.setInitializer(original);
    }

    @Test
    void changedWeightsArePackedAgain() {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray x = manager.randomNormal(0f, 1f, new Shape(1, 3, 20, 20), DataType.FLOAT32);
        NDList before = run(g, x, true);
        // conv4 has no norm: the program reads its own parameters; bn1's statistics reach it through the fold.
        net.stateDict().get("conv4.weight").getArray().muli(-2);
        net.stateDict().get("bn1.running_var").getArray().muli(4);
        Module.weightsChanged();
        NDList after = run(g, x, true);
        assertTrue(g.oneDnnInLastPass());
        NDList nodeByNode = run(g, x, false);
        assertTrue(worstRelative(after, nodeByNode) < 1e-5, "the program reads the current weights");
        assertTrue(worstRelative(before, nodeByNode) > 1e-2, "and they changed the outputs");
    }

    @Test
    void badAndEdgeInputs() {
        TinyResNet net = randomized(new TinyResNet(), DataType.FLOAT32);
        GraphModule g = new GraphModule(Tracer.trace(net, false, null), "TinyResNet").foldBatchNorms(true);
        NDArray wrongChannels = manager.randomNormal(0f, 1f, new Shape(1, 4, 16, 16), DataType.FLOAT32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(g, wrongChannels, true));
        assertTrue(e.getMessage().contains("'stem'") && e.getMessage().contains("expects input of shape [N, 3, H, W]"),
                e.getMessage());
        // The smallest input: every layer's output is 1x1; still the graph's values.
        NDArray tiny = manager.randomNormal(0f, 1f, new Shape(1, 3, 1, 1), DataType.FLOAT32);
        NDList tinyProgram = run(g, tiny, true);
        assertTrue(g.oneDnnInLastPass());
        assertTrue(worstRelative(tinyProgram, run(g, tiny, false)) < 1e-5);
        NDArray empty = manager.zeros(new Shape(0, 3, 16, 16), DataType.FLOAT32);
        run(g, empty, true);
        assertFalse(g.oneDnnInLastPass(), "an empty batch runs node by node");
        NDList fine = run(g, manager.randomNormal(0f, 1f, new Shape(1, 3, 16, 16), DataType.FLOAT32), true);
        assertTrue(g.oneDnnInLastPass());
        assertEquals(3, fine.size());
    }
}
