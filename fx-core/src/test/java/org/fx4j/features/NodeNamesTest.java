package org.fx4j.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fx4j.nn.TraceException;
import org.fx4j.fx.TraceOptions;
import org.junit.jupiter.api.Test;

/** Node naming, train/eval node lists, leaf modules and autowrap functions, as in torchvision's tests. */
class NodeNamesTest {

    @Test
    void nodeNameConventionMatchesTorchvision() {
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(new TestModels.NamingModel());
        List<String> expected = List.of(
                "x", "submodule.add", "submodule.add_1", "submodule.relu", "submodule.relu_1", "add", "add_1", "relu",
                "relu_1");
        assertEquals(expected, names.train());
        assertEquals(expected, names.eval());
    }

    @Test
    void trainAndEvalGraphsDifferAndWarn() {
        List<String> warnings = new ArrayList<>();
        TraceOptions options = TraceOptions.builder().warningHandler(warnings::add).build();
        TestModels.TrainEvalModel model = new TestModels.TrainEvalModel();
        model.eval();
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(model, options);
        assertEquals(List.of("x", "mean", "dropout", "add", "sub"), names.train());
        assertEquals(List.of("x", "mean", "dropout", "mul", "sub"), names.eval());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith(
                "The nodes obtained by tracing the model in train mode are different to those obtained in eval mode."),
                warnings.get(0));
        assertFalse(model.isTraining(), "tracing restores the model's mode");
    }

    @Test
    void differenceWarningCanBeSuppressed() {
        List<String> warnings = new ArrayList<>();
        TraceOptions options = TraceOptions.builder().warningHandler(warnings::add).suppressDiffWarning(true).build();
        FeatureExtraction.getGraphNodeNames(new TestModels.TrainEvalModel(), options);
        assertEquals(List.of(), warnings);
    }

    @Test
    void shapeReadFailsWithClearTraceError() {
        TraceException e = assertThrows(
                TraceException.class, () -> FeatureExtraction.getGraphNodeNames(new TestModels.LeafAndAutowrapModel()));
        String msg = e.getMessage();
        assertTrue(msg.contains("NDArray.getFloat()") || msg.contains("NDArray.getShape()"), msg);
        assertTrue(msg.contains("leafModules") && msg.contains("autowrapFunctions") && msg.contains("org.fx4j.nn.F"), msg);
    }

    @Test
    void leafModuleAndAutowrapFunctionMakeModelTraceable() {
        TraceOptions options = TraceOptions.builder()
                .leafModules(TestModels.ShapeReader.class)
                .autowrapFunctions(TestModels.CLAMP_TO_MEAN)
                .build();
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(new TestModels.LeafAndAutowrapModel(), options);
        assertEquals(List.of("x", "conv", "clamp_to_mean", "reader"), names.eval());
    }

    @Test
    void leafModuleAloneIsNotEnoughWhenAFunctionReadsData() {
        TraceOptions options = TraceOptions.builder().leafModules(TestModels.ShapeReader.class).build();
        TraceException e = assertThrows(
                TraceException.class,
                () -> FeatureExtraction.getGraphNodeNames(new TestModels.LeafAndAutowrapModel(), options));
        assertTrue(e.getMessage().contains("getFloat"), e.getMessage());
    }

    @Test
    void withoutLeafDeclarationInnerNodesAppear() {
        TraceOptions options = TraceOptions.builder().autowrapFunctions(TestModels.CLAMP_TO_MEAN).build();
        TraceException e = assertThrows(
                TraceException.class,
                () -> FeatureExtraction.getGraphNodeNames(new TestModels.LeafAndAutowrapModel(), options));
        assertTrue(e.getMessage().contains("module 'reader'") && e.getMessage().contains("getShape"), e.getMessage());
    }

    @Test
    void traceIsRepeatableAndSubmodulesAreNotLeaves() {
        GraphNodeNames a = FeatureExtraction.getGraphNodeNames(new TestModels.SmallNet());
        GraphNodeNames b = FeatureExtraction.getGraphNodeNames(new TestModels.SmallNet());
        assertEquals(a.train(), b.train());
        assertTrue(a.train().contains("layer1.1.add"), a.train().toString());
        assertTrue(a.train().contains("layer1.0.relu_1"), a.train().toString());
        assertNotEquals(a.train().indexOf("layer1.0.relu"), -1);
        assertEquals(List.of("x", "conv1", "bn1", "relu", "maxpool"), a.train().subList(0, 5));
        assertEquals(List.of("avgpool", "flatten", "fc"), a.train().subList(a.train().size() - 3, a.train().size()));
    }
}
