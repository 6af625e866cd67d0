package org.fx4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.descriptors.DescriptorIndex;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fx copyset}, {@code fx index} (resume, unreadable files), {@code fx search}, {@code fx copies}, {@code fx copyeval}. */
class FxIndexTest {

    private static final String[] SMALL = {"--model", "resnet18", "--node", "layer3", "--resize", "64", "--crop", "64",
        "--batch", "4"};

    @TempDir
    static Path dir;
    private static Path images;
    private static Path index;
    private static Path clean;
    private static FxRun first;

    @BeforeAll
    static void indexACollection() throws Exception {
        FxRun set = FxRun.fx("copyset", "--out", dir.resolve("set").toString(), "--count", "10", "--copies", "2",
                "--seed", "3");
        assertEquals(0, set.code, set.err);
        assertTrue(set.out.contains("10 originals") && set.out.contains("12 copies (2 per edit)"), set.out);
        images = dir.resolve("set/collection");
        clean = dir.resolve("clean.idx");
        assertEquals(0, index(images, clean).code, "the originals alone");
        Files.createDirectories(images.resolve("dup"));
        Files.copy(images.resolve("0001.png"), images.resolve("dup/0001-copy.png"));
        Files.writeString(images.resolve("broken.jpg"), "not a jpeg");
        // a JPEG cut in half: ImageIO decodes it with a warning (grey rest); PIL refuses it, so does fx index
        java.awt.image.BufferedImage picture = javax.imageio.ImageIO.read(images.resolve("0002.png").toFile());
        Path jpeg = dir.resolve("whole.jpg");
        javax.imageio.ImageIO.write(picture, "jpg", jpeg.toFile());
        byte[] bytes = Files.readAllBytes(jpeg);
        Files.write(images.resolve("cut.jpg"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        index = dir.resolve("images.idx");
        first = index(images, index);
    }

    private static FxRun index(Path images, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("index", images.toString()));
        args.addAll(List.of(SMALL));
        args.addAll(List.of(extra));
        args.addAll(List.of("--out", out.toString()));
        return FxRun.fx(args.toArray(String[]::new));
    }

    @Test
    void indexesEveryReadableImageAndNamesTheOthers() throws Exception {
        assertEquals(0, first.code, first.err);
        assertTrue(first.out.contains("11 images (11 new)"), first.out);
        assertTrue(first.err.contains("fx: warning: skipped 2 unreadable image(s): " + images.resolve("broken.jpg")
                + ", " + images.resolve("cut.jpg")), first.err);
        DescriptorIndex idx = DescriptorIndex.load(index);
        assertEquals(11, idx.size());
        assertEquals(images.resolve("0000.png").toString(), idx.ids().get(0), "paths as indexed");
        assertEquals("layer3", idx.settings().get("node"));
        assertEquals(256, idx.dimension(), "resnet18 layer3 channels");
    }

    @Test
    void searchFindsTheImageItselfFirst() {
        FxRun r = FxRun.fx("search", index.toString(), images.resolve("0003.png").toString(), "--k", "4", "--json");
        assertEquals(0, r.code, r.err);
        JsonArray results = JsonParser.parseString(r.out).getAsJsonObject().getAsJsonArray("results");
        assertEquals(4, results.size());
        assertEquals(images.resolve("0003.png").toString(), results.get(0).getAsJsonObject().get("file").getAsString());
        assertEquals(1.0, results.get(0).getAsJsonObject().get("score").getAsDouble(), 1e-5, "the same image");
        for (int i = 1; i < results.size(); i++) {
            assertTrue(results.get(i - 1).getAsJsonObject().get("score").getAsDouble()
                    >= results.get(i).getAsJsonObject().get("score").getAsDouble(), "descending scores");
        }
        FxRun text = FxRun.fx("search", index.toString(), images.resolve("0003.png").toString(), "--k", "2");
        assertTrue(text.out.contains("1  1.0000  " + images.resolve("0003.png")), text.out);
    }

    @Test
    void copiesListsTheDuplicateFirst() {
        FxRun r = FxRun.fx("copies", index.toString(), "--threshold", "0.5", "--json");
        assertEquals(0, r.code, r.err);
        JsonObject top = JsonParser.parseString(r.out).getAsJsonObject().getAsJsonArray("pairs").get(0).getAsJsonObject();
        assertEquals(images.resolve("0001.png").toString(), top.get("first").getAsString());
        assertEquals(images.resolve("dup/0001-copy.png").toString(), top.get("second").getAsString());
        assertEquals(1.0, top.get("score").getAsDouble(), 1e-5);
        assertTrue(r.err.contains("of random pairs of this index reach cosine 0.5: at this threshold its descriptors"
                + " do not tell images apart"), "random weights, raw descriptors: " + r.err);
        FxRun missing = FxRun.fx("copies", dir.resolve("none.idx").toString());
        assertTrue(missing.err.contains("fx: error: " + dir.resolve("none.idx") + " does not exist"), missing.err);
        FxRun bad = FxRun.fx("copies", index.toString(), "--threshold", "1.5");
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("--threshold must be in [-1, 1], got 1.5"), bad.err);
    }

    @Test
    void resumingAddsOnlyTheNewImagesAndRefusesOtherSettings() throws Exception {
        Path copy = dir.resolve("resume");
        Files.createDirectories(copy);
        for (String f : List.of("0000.png", "0001.png", "0002.png")) {
            Files.copy(images.resolve(f), copy.resolve(f));
        }
        Path idx = dir.resolve("resume.idx");
        assertEquals(0, index(copy, idx).code);
        Files.copy(images.resolve("0004.png"), copy.resolve("0004.png"));
        FxRun again = index(copy, idx);
        assertEquals(0, again.code, again.err);
        assertTrue(again.out.contains("resuming") && again.out.contains("4 images (1 new)"), again.out);
        assertEquals(List.of("0000.png", "0001.png", "0002.png", "0004.png"), DescriptorIndex.load(idx).ids().stream()
                .map(id -> Path.of(id).getFileName().toString()).toList());
        FxRun nothing = index(copy, idx);
        assertTrue(nothing.out.contains("already holds all 4 images"), nothing.out);
        Files.delete(copy.resolve("0002.png"));
        FxRun gone = index(copy, idx);
        assertTrue(gone.err.contains("fx: warning: 1 indexed image(s) are no longer under " + copy), gone.err);
        float[] before = DescriptorIndex.load(idx).descriptor(0);
        Files.copy(images.resolve("0006.png"), copy.resolve("0000.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FxRun replaced = index(copy, idx);
        assertTrue(replaced.out.contains("1 changed since they were described") && replaced.out.contains("(1 new)"),
                replaced.out);
        DescriptorIndex after = DescriptorIndex.load(idx);
        assertEquals(copy.resolve("0000.png").toString(), after.ids().get(after.size() - 1), "described again");
        assertTrue(!java.util.Arrays.equals(before, after.descriptor(after.size() - 1)), "with the new picture");
        new DescriptorIndex(3).save(clean.resolveSibling("foreign.idx"));
        FxRun foreign = FxRun.fx("index", copy.toString(), "--model", "resnet18", "--node", "layer3", "--out",
                clean.resolveSibling("foreign.idx").toString());
        assertEquals(2, foreign.code);
        assertTrue(foreign.err.contains("that `fx index` did not make"), foreign.err);
        List<String> other = new java.util.ArrayList<>(List.of("index", copy.toString(), "--model", "resnet18", "--node",
                "layer2", "--resize", "64", "--crop", "64", "--out", idx.toString()));
        FxRun refused = FxRun.fx(other.toArray(String[]::new));
        assertEquals(2, refused.code);
        assertTrue(refused.err.contains("was made with other settings (node is 'layer3' in the index, 'layer2' now)"),
                refused.err);
    }

    @Test
    void changedWeightsAreRefusedAtSearch() throws Exception {
        Path weights = dir.resolve("w.safetensors");
        saveResnet18(weights, 5);
        Path copy = dir.resolve("weighted");
        Files.createDirectories(copy);
        Files.copy(images.resolve("0000.png"), copy.resolve("0000.png"));
        Files.copy(images.resolve("0005.png"), copy.resolve("0005.png"));
        Path idx = dir.resolve("weighted.idx");
        FxRun made = index(copy, idx, "--weights", weights.toString());
        assertEquals(0, made.code, made.err);
        assertTrue(made.out.contains("tensors loaded"), made.out);
        FxRun ok = FxRun.fx("search", idx.toString(), copy.resolve("0005.png").toString(), "--json");
        assertEquals(1.0, JsonParser.parseString(ok.out).getAsJsonObject().getAsJsonArray("results").get(0)
                .getAsJsonObject().get("score").getAsDouble(), 1e-5, "the query is made with the same weights");
        saveResnet18(weights, 6);
        FxRun changed = FxRun.fx("search", idx.toString(), copy.resolve("0005.png").toString());
        assertEquals(2, changed.code);
        assertTrue(changed.err.contains("changed since " + idx + " was made"), changed.err);
    }

    @Test
    void aWhitenedIndexIsSearchedWhitenedAndChecksItsWhitening() throws Exception {
        Path idx = dir.resolve("white.idx");
        FxRun made = index(images, idx, "--whiten", "6");
        assertEquals(0, made.code, made.err);
        assertTrue(made.out.contains("learned a PCA whitening to 6 dimensions from 11 descriptors"), made.out);
        FxRun r = FxRun.fx("search", idx.toString(), images.resolve("0007.png").toString(), "--k", "11");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("(whitened to 6 dimensions)") && r.out.contains("1  1.0000  "
                + images.resolve("0007.png")), r.out);
        // the whitened ranking is not the raw one (6 of 256 dimensions, centred)
        FxRun raw = FxRun.fx("search", index.toString(), images.resolve("0007.png").toString(), "--k", "11");
        assertTrue(!raw.out.substring(raw.out.indexOf('\n')).equals(r.out.substring(r.out.indexOf('\n'))), raw.out);
        FxRun copies = FxRun.fx("copies", idx.toString(), "--threshold", "0.999");
        assertTrue(copies.out.contains("0001.png  " + images.resolve("dup/0001-copy.png")), copies.out);
        Path whitening = dir.resolve("white.idx.whitening");
        Files.copy(whitening, dir.resolve("saved.whitening"));
        FxRun other = index(images, dir.resolve("other.idx"), "--whiten", "5");
        assertEquals(0, other.code, other.err);
        Files.copy(dir.resolve("other.idx.whitening"), whitening, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FxRun stale = FxRun.fx("copies", idx.toString());
        assertEquals(2, stale.code);
        assertTrue(stale.err.contains("is not the one " + idx + " records"), stale.err);
        Files.delete(whitening);
        FxRun missing = FxRun.fx("search", idx.toString(), images.resolve("0007.png").toString());
        assertEquals(2, missing.code);
        assertTrue(missing.err.contains("was made with --whiten 6 but its whitening " + whitening + " is missing"),
                missing.err);
        Path few = dir.resolve("few");
        Files.createDirectories(few);
        Files.copy(images.resolve("0000.png"), few.resolve("0000.png"));
        Files.copy(images.resolve("0002.png"), few.resolve("0002.png"));
        FxRun tooMany = index(few, dir.resolve("small.idx"), "--whiten", "6");
        assertEquals(2, tooMany.code);
        assertTrue(tooMany.err.contains("--whiten 6 needs more than 6 images; " + few + " has 2"), tooMany.err);
        assertTrue(!Files.exists(dir.resolve("small.idx")), "refused before any work");
    }

    @Test
    void copyEvalScoresEveryEdit() {
        FxRun r = FxRun.fx("copyeval", clean.toString(), dir.resolve("set/queries").toString(), "--whiten", "8",
                "--json");
        assertEquals(0, r.code, r.err);
        JsonObject scores = JsonParser.parseString(r.out).getAsJsonObject().getAsJsonObject("scores");
        assertEquals(List.of("color_jitter", "crop", "jpeg", "rescale", "rotation", "text_overlay", "all"),
                List.copyOf(scores.keySet()));
        assertEquals(12, scores.getAsJsonObject("all").get("queries").getAsInt());
        double jpegRecall = scores.getAsJsonObject("jpeg").get("recall_at_1").getAsDouble();
        assertEquals(1.0, jpegRecall, "a JPEG re-encoding is found among 11 images even with random weights");
    }

    private static void saveResnet18(Path file, int seed) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(seed);
            Module model = ModelRegistry.create("resnet18");
            model.initialize(m);
            Checkpoints.saveSafetensors(model, file);
        }
    }
}
