package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code maskrcnn_resnet50_fpn} with random weights and no score threshold on a 480x640 image, as {@code fx
 * bench resnet50 --maskrcnn} runs it: 100 detections with masks, in a child JVM with oneDNN's full
 * instruction set (the tests' own JVMs cap it at AVX, see the surefire configuration). RoIAlign's output used
 * to keep channels-last strides, which sent the mask head down oneDNN's channels-last path; its AVX-512 1x1
 * blocking heuristic divides by the cache size the CPU reports, and on this project's virtual machine (none
 * reported) the JVM died with SIGFPE. The backbone's body runs as the inference pass's oneDNN program here, so
 * this is also where that program meets the full instruction set in the tests.
 */
class ManyDetectionsTest {

    /**
     * The child: detects on one random image and prints the number of detections and the masks' shape.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        Engine.getInstance();
        JniUtils.setNumThreads(2);
        JniUtils.setGradMode(false);
        try (NDManager m = NDManager.newBaseManager()) {
            MaskRCNN net = DetectionModels.maskrcnnResnet50Fpn(91, false, new RcnnConfig().boxScoreThresh(0));
            Engine.getInstance().setRandomSeed(0);
            net.initialize(m);
            net.eval();
            NDArray x = m.randomUniform(0f, 1f, new Shape(3, 480, 640));
            Detections found = net.detect(List.of(x)).get(0);
            System.out.println("detections " + found.size() + " masks " + found.masks().getShape() + " backbone program "
                    + net.backboneOneDnnInLastPass());
        }
    }

    @Test
    void aHundredDetectionsWithMasksWithOneDnnsFullInstructionSet() throws IOException, InterruptedException {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), ManyDetectionsTest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("ONEDNN_MAX_CPU_ISA");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), () -> "the child JVM died:\n" + out.lines()
                .filter(l -> !l.contains("NNPACK")).limit(30).reduce("", (a, b) -> a + b + "\n"));
        assertTrue(out.contains("detections 100 masks (100, 1, 480, 640) backbone program true"), out);
    }
}
