package org.fx4j.fx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.SymInt;
import org.fx4j.nn.TraceException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Symbolic shape reads: size nodes, size arithmetic, checks kept by DCE, reuse across input sizes. */
class SymIntTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Flattens the spatial dims into tokens, ViT-style, after checking that the image is square. */
    static final class Tokens extends Module {
        private final ReLU act = register("act", new ReLU());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            SymInt n = SymInt.size(x, 0);
            SymInt c = SymInt.size(x, 1);
            SymInt h = SymInt.size(x, 2);
            SymInt.checkEquals(h, 4, "Wrong image height! Expected 4 but got %d!");
            SymInt w = SymInt.size(x, -1);
            NDArray y = act.call(ctx, x);
            NDArray tokens = F.reshape(y, n, c, h.mul(w).floorDiv(2), 2);
            return F.permute(tokens, 0, 2, 1, 3);
        }
    }

    @Test
    void sizesBecomeNodesAndChecksSurvivePruning() {
        Graph g = Tracer.trace(new Tokens(), false, null);
        assertEquals(List.of("x", "size", "size_1", "size_2", "eq", "_assert", "size_3", "act", "mul", "floordiv",
                "reshape", "permute"), g.qualifiedNames());
        assertTrue(g.node("size").orElseThrow().isSizeNode());
        assertFalse(g.node("act").orElseThrow().isSizeNode());
        Graph pruned = g.withOutputs(Map.of("act", g.node("act").orElseThrow()));
        assertEquals(List.of("x", "size_2", "eq", "_assert", "act"), pruned.qualifiedNames());
        String code = g.code("Tokens");
        assertTrue(code.contains("long size_2 = x.size(2);") && code.contains("boolean eq = size_2 == 4L;")
                && code.contains("eq.check(\"Wrong image height! Expected 4 but got %d!\", size_2);")
                && code.contains("long mul = size_2 * size_3;") && code.contains("= Math.floorDiv(mul, 2);"), code);
    }

    @Test
    void tracedGraphRecomputesSizesForEveryInput() {
        Tokens model = new Tokens();
        model.initialize(manager);
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, List.of("permute"));
        for (int batch : new int[] {1, 3}) {
            for (int width : new int[] {4, 6}) {
                try (NDManager sub = manager.newSubManager()) {
                    NDArray x = sub.randomNormal(new Shape(batch, 2, 4, width));
                    NDArray expected = model.forward(x);
                    NDArray actual = fx.forward(new NDList(x)).get(0);
                    assertEquals(new Shape(batch, 4 * width / 2, 2, 2), actual.getShape());
                    assertEquals(expected, actual);
                }
            }
        }
    }

    @Test
    void failedCheckInTheGraphGivesTheModelsMessage() {
        Tokens model = new Tokens();
        model.initialize(manager);
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, List.of("act"));
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.zeros(new Shape(1, 2, 5, 4));
            IllegalArgumentException eager = assertThrows(IllegalArgumentException.class, () -> model.forward(x));
            assertEquals("Wrong image height! Expected 4 but got 5!", eager.getMessage());
            IllegalArgumentException traced =
                    assertThrows(IllegalArgumentException.class, () -> fx.forward(new NDList(x)));
            assertTrue(traced.getMessage().contains("'_assert'") && traced.getMessage().endsWith(eager.getMessage()),
                    traced.getMessage());
        }
    }

    @Test
    void sizeNodesCannotBeReturnNodes() {
        Tokens model = new Tokens();
        model.initialize(manager);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeatureExtraction.createFeatureExtractor(model, List.of("floordiv")));
        assertTrue(e.getMessage().contains("'floordiv'") && e.getMessage().contains("computes a size"), e.getMessage());
    }

    @Test
    void concreteSizesComputeDirectlyAndSymbolicOnesHaveNoValue() {
        SymInt seven = SymInt.of(7);
        assertEquals(3, seven.floorDiv(2).value());
        assertEquals(-4, SymInt.of(-7).floorDiv(2).value(), "Python floor division");
        assertEquals(21, seven.mul(SymInt.of(3)).value());
        assertEquals(5, seven.sub(2).value());
        assertThrows(ArithmeticException.class, () -> seven.floorDiv(0));
        assertThrows(IllegalArgumentException.class, () -> seven.add(1.5));
        assertThrows(IllegalArgumentException.class, () -> SymInt.size(manager.zeros(new Shape(2, 3)), 2));
        TraceException e = assertThrows(TraceException.class, () -> Tracer.trace(new Module() {
            @Override
            protected NDArray forward(ForwardContext ctx, NDArray x) {
                long n = SymInt.size(x, 0).value();
                return F.reshape(x, n, -1);
            }
        }, false, null));
        assertTrue(e.getMessage().contains("SymInt 'size' is symbolic"), e.getMessage());
    }
}
