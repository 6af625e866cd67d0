package org.fx4j.fx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.FxFunction;
import org.fx4j.nn.Init;
import org.fx4j.nn.LeafModule;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.SymInt;
import org.fx4j.nn.SymShape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The semantics the tracer must keep (DESIGN.md): in-place ops, model state that no graph closes,
 * re-tracing of graph modules, per-module modes that tracing never flips, one device per model,
 * and a one-way dependency from fx to nn.
 */
class TracerSemanticsTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static Conv2d conv(int in, int out) {
        return Conv2d.builder().setInChannels(in).setOutChannels(out).setKernelSize(3).optPadding(1).build();
    }

    // ------------------------------------------------------------------ in-place ops

    /** DJL's idiom for {@code y += 1; y *= 2; y -= x; y /= 4}, then a relu. */
    static final class InPlace extends Module {
        private final Conv2d conv = register("conv", conv(2, 2));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray y = conv.call(ctx, x);
            y.addi(1);
            y.muli(2);
            y.subi(x);
            y.getNDArrayInternal().rsubi(4); // through the internal view: y = 4 - y
            return F.relu(y);
        }
    }

    @Test
    void inPlaceOpsAreRecordedAndLaterUsesReadTheirResult() {
        InPlace model = new InPlace();
        model.initialize(manager);
        model.eval();
        Graph g = Tracer.trace(model, false, null);
        assertEquals(List.of("x", "conv", "add_", "mul_", "sub_", "rsub_", "relu"), g.qualifiedNames());
        Node relu = g.node("relu").orElseThrow();
        assertEquals("rsub_", relu.inputNodes().get(0).qualifiedName(), "relu reads the updated value");
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, List.of("relu"));
        assertEquals(List.of("x", "conv", "add_", "mul_", "sub_", "rsub_", "relu"), fx.graph(false).qualifiedNames(),
                "pruning keeps the in-place nodes");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 2, 5, 5));
            NDArray expected = model.forward(x);
            NDArray actual = fx.forward(new NDList(x)).get(0);
            assertArrayEquals(expected.toFloatArray(), actual.toFloatArray());
        }
    }

    // ------------------------------------------------------------------ model state

    /** A leaf that returns its own parameter, as is. */
    static final class ReturnsParameter extends LeafModule {
        final Parameter scale = registerParameter("scale", new Shape(1, 2, 1, 1), Init.constant(3f));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            return ctx.value(scale, x.getDevice());
        }
    }

    static final FxFunction PICK_SECOND = FxFunction.atomic("pick_second", a -> (NDArray) a[1]);

    /** Reads state in every way a model can: a leaf returning a parameter, a get_attr, a raw array. */
    static final class StateModel extends Module {
        final ReturnsParameter leaf = register("leaf", new ReturnsParameter());
        final Parameter bias = registerParameter("bias", new Shape(1, 2, 1, 1), Init.constant(0.5f));
        NDArray constant;

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray s = leaf.call(ctx, x);
            NDArray b = ctx.value(bias, x.getDevice());
            NDArray c = PICK_SECOND.apply(x, constant);
            NDArray raw = F.mul(x, bias.getArray()); // a real parameter array passed as an argument
            return F.add(F.add(F.mul(x, s), F.add(b, c)), raw);
        }
    }

    @Test
    void modelStateIsNeverClosedNorHandedOut() {
        StateModel model = new StateModel();
        model.initialize(manager);
        model.constant = manager.ones(new Shape(1, 2, 1, 1));
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model,
                Map.of("leaf", "scale", "bias", "bias", "pick_second", "constant", "add_2", "out"));
        assertTrue(fx.graph(false).qualifiedNames().contains("bias_1"),
                "bias.getArray() passed as an argument is a second get_attr, not a baked-in constant: "
                        + fx.graph(false).qualifiedNames());
        for (int run = 0; run < 3; run++) {
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.ones(new Shape(1, 2, 2, 2));
                NDList out = fx.forward(new NDList(x));
                for (NDArray o : out) {
                    assertSame(m, o.getManager(), "a copy of model state belongs to the caller, not the model");
                    assertNotSame(model.leaf.scale.getArray(), o);
                    assertNotSame(model.bias.getArray(), o);
                    assertNotSame(model.constant, o);
                }
                assertEquals(1 * 3 + 0.5f + 1 + 0.5f, out.get(3).getFloat(0, 0, 0, 0), 1e-6);
                out.close();
            }
            assertFalse(model.leaf.scale.getArray().isReleased(), "the leaf's parameter survives run " + run);
            assertFalse(model.bias.getArray().isReleased(), "the get_attr parameter survives run " + run);
            assertFalse(model.constant.isReleased(), "the function's constant survives run " + run);
        }
        // A parameter replaced by a checkpoint load is seen: it is read per forward, never baked in.
        NDArray old = model.bias.getArray();
        model.bias.close();
        model.bias.setInitializer(Init.constant(2f));
        model.bias.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32);
        assertTrue(old.isReleased());
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.ones(new Shape(1, 2, 2, 2));
            NDList out = fx.forward(new NDList(x));
            assertEquals(3 + 2f + 1 + 2f, out.get(3).getFloat(0, 0, 0, 0), 1e-6);
        }
    }

    // ------------------------------------------------------------------ re-tracing

    /** A small residual body: conv, add, relu, and a shape read. */
    static final class Body extends Module {
        private final Conv2d conv = register("conv", conv(2, 2));
        final ReLU relu = register("relu", new ReLU());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            SymInt[] nchw = SymShape.of(x).unpack(4);
            nchw[1].eq(2).check("Expected 2 channels, got %d", nchw[1]);
            NDArray y = relu.call(ctx, F.add(conv.call(ctx, x), x));
            return F.reshape(F.add(y, 1), nchw[0], -1);
        }
    }

    /** The seed's pattern: an extractor as the body of another module, then a leaf. */
    static final class Wrapper extends Module {
        final FeatureExtractor body;
        private final ReLU head = register("head", new ReLU());

        Wrapper(Body inner) {
            body = register("body", FeatureExtraction.createFeatureExtractor(inner, List.of("relu", "reshape")));
        }

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDList features = ctx.call(body, new NDList(x));
            return head.call(ctx, features.get(1));
        }
    }

    @Test
    void anExtractorInsideAModuleTracesAgainWithTorchFxNames() {
        Body inner = new Body();
        inner.initialize(manager);
        Wrapper wrapper = new Wrapper(inner);
        Graph g = Tracer.trace(wrapper, false, null);
        // The body's graph was pruned (the unused sizes c... w are gone), as torchvision's would be.
        assertEquals(List.of("x", "body.getattr", "body.getitem", "body.getitem_1", "body.eq", "body._assert",
                "body.conv", "body.add", "body.relu", "body.add_1", "body.reshape", "head"), g.qualifiedNames());
        for (String fn : List.of("body.add", "body.add_1", "body.reshape", "body.eq", "body.getattr")) {
            assertEquals(NodeOp.CALL_FUNCTION, g.node(fn).orElseThrow().op(), fn + " stays a function call");
        }
        FeatureExtractor outer = FeatureExtraction.createFeatureExtractor(wrapper, List.of("body.relu", "head"));
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(3, 2, 4, 5));
            NDArray expected = wrapper.forward(x);
            NDList out = outer.forward(new NDList(x));
            assertArrayEquals(expected.toFloatArray(), out.get(1).toFloatArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> outer.forward(new NDList(m.zeros(new Shape(1, 3, 4, 4)))));
            assertTrue(e.getMessage().endsWith("Expected 2 channels, got 3"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ modes

    /** conv, batch norm, dropout(p=1): train and eval differ visibly. */
    static final class ModeNet extends Module {
        final Conv2d conv = register("conv", conv(2, 4));
        final BatchNorm2d bn = register("bn", new BatchNorm2d(4));
        final Dropout drop = register("drop", new Dropout(0.5f));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            return drop.call(ctx, bn.call(ctx, conv.call(ctx, x)));
        }
    }

    @Test
    void modesArePerModuleAsInPyTorch() {
        ModeNet net = new ModeNet();
        net.initialize(manager);
        net.train();
        net.bn.eval();
        net.drop.eval();
        assertTrue(net.isTraining() && !net.bn.isTraining(), "a child switched after train() keeps its mode");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 2, 4, 4));
            NDArray before = net.bn.stateDict().get("running_mean").getArray().duplicate();
            NDArray y = net.forward(x);
            assertArrayEquals(before.toFloatArray(), net.bn.stateDict().get("running_mean").getArray().toFloatArray(),
                    "a batch norm in eval inside a training model does not update its statistics");
            net.eval();
            assertArrayEquals(net.forward(x).toFloatArray(), y.toFloatArray(), "so the result is the eval result");
        }
    }

    @Test
    void extractorModesPickGraphsAndKeepTheSourceModelConsistent() {
        ModeNet net = new ModeNet();
        net.initialize(manager);
        net.eval(); // created from a model left in eval, as torchvision users often do
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("bn"));
        assertFalse(fx.isTraining() || net.isTraining(), "creating an extractor changes no mode");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 2, 4, 4));
            NDArray mean = net.bn.stateDict().get("running_mean").getArray().duplicate();
            NDArray evalOut = fx.forward(new NDList(x)).get(0);
            assertArrayEquals(mean.toFloatArray(), net.bn.stateDict().get("running_mean").getArray().toFloatArray(),
                    "the eval graph runs the batch norm in eval mode");
            fx.train();
            assertTrue(net.isTraining() && net.conv.isTraining() && net.bn.isTraining(),
                    "extractor.train() sets the whole source model, parents and leaves alike");
            NDArray trainOut = fx.forward(new NDList(x)).get(0);
            net.eval();
            net.train();
            NDArray eager = null;
            net.bn.stateDict().get("running_mean").getArray().set(mean.toFloatArray()); // undo the update
            eager = net.bn.forward(net.conv.forward(x));
            assertArrayEquals(eager.toFloatArray(), trainOut.toFloatArray(), 1e-6f,
                    "the train graph equals the eager training forward (batch statistics)");
            assertFalse(java.util.Arrays.equals(evalOut.toFloatArray(), trainOut.toFloatArray()));
            net.bn.eval(); // freeze after train(), as in PyTorch
            NDArray frozen = fx.forward(new NDList(x)).get(0);
            assertArrayEquals(net.bn.forward(net.conv.forward(x)).toFloatArray(), frozen.toFloatArray(), 1e-6f,
                    "a leaf switched to eval after extractor.train() runs in eval in the train graph");
            fx.eval();
            assertFalse(net.isTraining() || net.conv.isTraining() || net.bn.isTraining(),
                    "extractor.eval() leaves no parent training and no leaf in eval");
        }
    }

    @Test
    void anEnclosingModulesModeReachesTheExtractorAndItsModel() {
        Body inner = new Body();
        inner.initialize(manager);
        inner.eval();
        Wrapper wrapper = new Wrapper(inner);
        wrapper.train();
        assertTrue(wrapper.body.isTraining() && inner.isTraining() && inner.relu.isTraining());
        wrapper.eval();
        assertFalse(wrapper.body.isTraining() || inner.isTraining() || inner.relu.isTraining());
    }

    @Test
    void tracingNeverFlipsTheModesOfAModelAnotherThreadRuns() throws Exception {
        ModeNet net = new ModeNet();
        net.initialize(manager);
        net.eval();
        NDArray x = manager.randomNormal(new Shape(2, 2, 4, 4));
        float[] expected = net.forward(x).toFloatArray();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<Integer> runner = pool.submit(() -> {
                int runs = 0;
                while (!stop.get()) {
                    try (NDManager m = manager.newSubManager()) {
                        NDArray in = x.duplicate();
                        in.attach(m);
                        float[] y = net.forward(in).toFloatArray();
                        if (!java.util.Arrays.equals(expected, y) || net.isTraining() || net.bn.isTraining()) {
                            throw new AssertionError("the eval-mode model ran in training mode while being traced");
                        }
                    }
                    runs++;
                }
                return runs;
            });
            for (int i = 0; i < 50; i++) {
                FeatureExtraction.createFeatureExtractor(net, List.of("bn"));
                assertFalse(net.isTraining() || net.bn.isTraining() || net.drop.isTraining());
            }
            stop.set(true);
            assertTrue(runner.get() > 0);
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ devices

    /** A leaf with two outputs, read by getitem nodes. */
    static final class Split extends LeafModule {
        @Override
        public NDList forward(ForwardContext ctx, NDList in) {
            return new NDList(in.head().add(1), in.head().mul(2));
        }

        @Override
        public int outputCount() {
            return 2;
        }
    }

    @Test
    void aMultiOutputLeafReTracesAsOneCallReadByTheGraphsGetitems() {
        Module model = new Module() {
            private final Split split = register("split", new Split());

            @Override
            protected NDArray forward(ForwardContext ctx, NDArray x) {
                NDList parts = ctx.call(split, new NDList(x));
                return F.add(parts.get(0), parts.get(1));
            }
        };
        FeatureExtractor inner = FeatureExtraction.createFeatureExtractor(model, List.of("add"));
        Module wrapper = new Module() {
            private final FeatureExtractor body = register("body", inner);

            @Override
            public NDList forward(ForwardContext ctx, NDList inputs) {
                return ctx.call(body, inputs);
            }
        };
        // torch.fx, the same wrapper with the leaf declared: x, body.split, body.getitem, body.getitem_1, body.add
        Graph g = Tracer.trace(wrapper, false, null);
        assertEquals(List.of("x", "body.split", "body.getitem", "body.getitem_1", "body.add"), g.qualifiedNames());
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(3));
            FeatureExtractor outer = FeatureExtraction.createFeatureExtractor(wrapper, List.of("body.add"));
            assertArrayEquals(x.add(1).add(x.mul(2)).toFloatArray(), outer.forward(new NDList(x)).get(0).toFloatArray());
        }
    }

    @Test
    void anOpaqueDjlLambdaThatUpdatesItsInputInPlaceIsKeptWholeAndUndone() {
        ai.djl.nn.SequentialBlock seq = new ai.djl.nn.SequentialBlock();
        seq.add(new ai.djl.nn.LambdaBlock(list -> {
            NDArray x = list.head();
            x.addi(1); // recorded, then dropped with the rest of the lambda when the shape read fails
            return new NDList(x.reshape(x.getShape().get(0), -1));
        }));
        seq.add(new ai.djl.nn.LambdaBlock(list -> new NDList(list.head().mul(2))));
        Graph g = Tracer.trace(seq, true, null);
        assertEquals(List.of("x", "01LambdaBlock", "02LambdaBlock.mul"), g.qualifiedNames());
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.ones(new Shape(2, 2, 2));
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(seq, List.of("02LambdaBlock.mul"));
            assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4, 4, 4}, fx.forward(new NDList(x)).get(0).toFloatArray());
        }
    }

    /** An input that claims to live on another device (only CPU exists here); it has no data. */
    private static NDArray inputOn(Device device, Shape shape) {
        return (NDArray) java.lang.reflect.Proxy.newProxyInstance(NDArray.class.getClassLoader(),
                new Class<?>[] {NDArray.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getDevice":
                            return device;
                        case "getShape":
                            return shape;
                        case "getManager":
                            return manager;
                        case "getDataType":
                            return ai.djl.ndarray.types.DataType.FLOAT32;
                        case "toString":
                            return "input on " + device;
                        default:
                            throw new UnsupportedOperationException(method.getName() + " on a fake input");
                    }
                });
    }

    @Test
    void inputsOnAnotherDeviceThanTheWeightsAreRefusedNotCopied() {
        Conv2d conv = conv(2, 2);
        conv.initialize(manager);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(inputOn(Device.gpu(1), new Shape(1, 2, 4, 4))));
        assertTrue(e.getMessage().contains("Conv2d's parameter 'weight' is on cpu() but the input is on gpu(1)")
                && e.getMessage().contains("model.toDevice(gpu(1))"), e.getMessage());

        ai.djl.nn.core.Linear linear = ai.djl.nn.core.Linear.builder().setUnits(2).build();
        linear.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 3));
        Module holder = new Module() {
            private final ai.djl.nn.core.Linear fc = register("fc", linear);

            @Override
            protected NDArray forward(ForwardContext ctx, NDArray x) {
                return ctx.call(fc, x);
            }
        };
        int before = manager.getManagedArrays().size();
        e = assertThrows(IllegalArgumentException.class, () -> holder.forward(inputOn(Device.gpu(1), new Shape(1, 3))));
        assertTrue(e.getMessage().contains("Linear's parameter 'weight' is on cpu() but the input is on gpu(1)"),
                e.getMessage());
        assertEquals(before, manager.getManagedArrays().size(), "no weight was copied into the input's manager");
    }

    /** conv then an Identity leaf: both outputs are the same array. */
    static final class Aliased extends Module {
        final Conv2d conv = register("conv", conv(2, 2));
        private final org.fx4j.nn.Identity same = register("same", new org.fx4j.nn.Identity());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            return same.call(ctx, conv.call(ctx, x));
        }
    }

    @Test
    void anOutputCopiedBecauseItIsAliasedStillBackPropagates() {
        Aliased model = new Aliased();
        model.initialize(manager);
        model.eval();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, List.of("conv", "same"));
        try (NDManager m = manager.newSubManager();
                ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            NDArray x = m.ones(new Shape(1, 2, 3, 3));
            NDList out = fx.forward(new NDList(x));
            assertNotSame(out.get(0), out.get(1));
            gc.backward(out.get(0).sum().add(out.get(1).sum()));
            NDArray grad = model.conv.stateDict().get("bias").getArray().getGradient();
            assertArrayEquals(new float[] {18, 18}, grad.toFloatArray(), "both outputs reach the bias: 2 x 9 pixels");
        }
    }

    // ------------------------------------------------------------------ layout

    @Test
    void nnDoesNotDependOnFx() throws IOException {
        Path nn = Path.of("src/main/java/org/fx4j/nn");
        try (Stream<Path> files = Files.list(nn)) {
            List<String> offenders = files.filter(f -> {
                try {
                    return Files.readAllLines(f).stream().map(String::trim)
                            .anyMatch(l -> !l.startsWith("*") && !l.startsWith("/") && l.contains("org.fx4j.fx."));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).map(f -> f.getFileName().toString()).collect(Collectors.toList());
            assertEquals(List.of(), offenders, "nn must not import fx (fx depends on nn, one way)");
        }
    }
}
