package org.fx4j.fx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Identity;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.TraceException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The graph IR, names of get_attr and call_method nodes, and execution-plan ownership rules. */
class GraphModuleTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** A traced-through module that reads its own parameter and uses array methods. */
    static final class Scaled extends Module {
        private final Parameter gamma = registerParameter("gamma", new Shape(4), Init.constant(2f));
        private final Identity same = register("same", new Identity());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray g = ctx.value(gamma, x.getDevice());
            NDArray y = same.call(ctx, F.mul(x, g));
            NDArray z = y.addi(1);
            return F.add(z.exp(), same.call(ctx, y));
        }
    }

    static final class Net extends Module {
        private final Linear fc = register("fc", new Linear(3, 4));
        private final Scaled block = register("block", new Scaled());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            return block.call(ctx, fc.call(ctx, x));
        }
    }

    @Test
    void namesOfGetAttrAndMethodNodesFollowTorchFx() {
        Graph g = Tracer.trace(new Net(), false, null);
        assertEquals(
                List.of("x", "fc", "block.block_gamma", "block.mul", "block.same", "block.add_", "block.exp", "block.same_1",
                        "block.add"),
                g.qualifiedNames());
        assertEquals(NodeOp.GET_ATTR, g.node("block.block_gamma").orElseThrow().op());
        assertEquals(NodeOp.CALL_METHOD, g.node("block.add_").orElseThrow().op());
    }

    @Test
    void fullTraceRunsLikeTheModelAndKeepsParameterPaths() {
        Net net = new Net();
        net.initialize(manager);
        GraphModule gm = new GraphModule(Tracer.trace(net, false, null), "Net");
        assertEquals(List.of("fc", "block.same"), gm.namedChildren().stream().map(p -> p.getKey()).toList());
        assertEquals(List.of("block.gamma", "fc.weight", "fc.bias"), List.copyOf(gm.stateDict().keySet()));
        Map<String, Parameter> state = gm.stateDict();
        assertSame(net.stateDict().get("block.gamma"), state.get("block.gamma"));
        assertSame(net.stateDict().get("fc.weight"), state.get("fc.weight"));
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3));
            NDArray expected = net.forward(x);
            int before = m.getManagedArrays().size();
            NDList out = gm.forward(new NDList(x));
            assertArrayEquals(expected.toFloatArray(), out.singletonOrThrow().toFloatArray());
            assertEquals("output", out.get(0).getName());
            out.close();
            assertEquals(before, m.getManagedArrays().size(), "aliased Identity outputs are closed exactly once");
        }
        assertFalse(state.get("block.gamma").getArray().isReleased(), "parameters are never closed");
    }

    @Test
    void returningAParameterHandsOutACopy() {
        Net net = new Net();
        net.initialize(manager);
        Graph g = Tracer.trace(net, false, null);
        Graph pruned = g.withOutputs(Map.of("gamma", g.node("block.block_gamma").orElseThrow()));
        assertEquals(List.of("x", "block.block_gamma"), pruned.qualifiedNames(), "placeholders stay, the rest is dead");
        GraphModule gm = new GraphModule(pruned, "Net");
        try (NDManager m = manager.newSubManager()) {
            NDList out = gm.forward(new NDList(m.zeros(new Shape(1, 3))));
            out.close();
            assertFalse(net.stateDict().get("block.gamma").getArray().isReleased());
        }
    }

    @Test
    void graphRejectsForeignOutputsAndCodeIsPrinted() {
        Graph a = Tracer.trace(new Net(), false, null);
        Graph b = Tracer.trace(new Net(), false, null);
        assertThrows(IllegalArgumentException.class, () -> a.withOutputs(Map.of("y", b.node("fc").orElseThrow())));
        String code = a.code("Net");
        assertTrue(code.contains("NDArray block_block_gamma = this.block.gamma;"), code);
        assertTrue(code.contains("NDArray block_add_ = block_same.addi(1);"), code);
    }

    /** Concatenates its input with two transforms of it: list arguments hold nodes too. */
    static final class Concat extends Module {
        private final Identity same = register("same", new Identity());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray a = F.relu(x);
            NDArray b = same.call(ctx, F.mul(x, 2f));
            return F.cat(List.of(x, a, b), 1);
        }
    }

    @Test
    void nodesInsideListArgumentsAreUsesForPruningAndRelease() {
        Concat model = new Concat();
        Graph g = Tracer.trace(model, false, null);
        assertEquals(List.of("x", "relu", "mul", "same", "cat"), g.qualifiedNames());
        Graph pruned = g.withOutputs(Map.of("cat", g.node("cat").orElseThrow()));
        assertEquals(g.qualifiedNames(), pruned.qualifiedNames(), "nothing the cat reads is dead code");
        GraphModule gm = new GraphModule(pruned, "Concat");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(new float[] {-1f, 3f}, new Shape(1, 2));
            int before = m.getManagedArrays().size();
            NDList out = gm.forward(new NDList(x));
            assertArrayEquals(new float[] {-1f, 3f, 0f, 3f, -2f, 6f}, out.singletonOrThrow().toFloatArray());
            out.close();
            assertEquals(before, m.getManagedArrays().size());
        }
    }

    @Test
    void tracerTracesOnce() {
        Tracer t = new Tracer(null);
        t.trace(new Net(), false);
        assertThrows(IllegalStateException.class, () -> t.trace(new Net(), false));
    }

    @Test
    void unregisteredChildIsAClearTraceError() {
        Module rogue = new Module() {
            private final Linear hidden = new Linear(3, 3);

            @Override
            protected NDArray forward(ForwardContext ctx, NDArray x) {
                return hidden.call(ctx, x);
            }
        };
        TraceException e = assertThrows(TraceException.class, () -> Tracer.trace(rogue, false, null));
        assertTrue(e.getMessage().contains("not registered") && e.getMessage().contains("register("), e.getMessage());
    }
}
