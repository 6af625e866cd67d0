package org.fx4j.detection.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fx4j.detection.data.CocoDataset;
import org.fx4j.detection.data.MaskRle;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * fx4j's COCO code against pycocotools 2.0.11 (the reference script {@code coco_parity.py}): compressed
 * RLE strings of random masks, polygon rasterisation of random polygons (sub-pixel, concave,
 * self-intersecting, partly outside the image) and the twelve {@code COCOeval} numbers for boxes and
 * masks on random sets with crowd regions, score ties, several categories, images without objects or
 * without detections, images listed out of id order, all area ranges and more than 100 detections per
 * image.
 */
class CocoParityTest {

    private static JsonObject reference;
    private static final List<MaskRle> MASKS = new ArrayList<>();
    private static final List<double[]> POLYGONS = new ArrayList<>();
    private static final List<int[]> POLYGON_SIZES = new ArrayList<>();
    private static final List<JsonObject> EVALS = new ArrayList<>();

    @BeforeAll
    static void runReference() throws IOException {
        Random r = new Random(7);
        JsonObject c = new JsonObject();
        JsonArray rle = new JsonArray();
        for (int i = 0; i < 40; i++) {
            int h = 1 + r.nextInt(40);
            int w = 1 + r.nextInt(40);
            double density = r.nextDouble();
            boolean blocky = r.nextBoolean();
            boolean[] m = new boolean[h * w];
            for (int p = 0; p < m.length; p++) {
                m[p] = blocky ? ((p / w) / 5 + (p % w) / 7) % 3 == 0 : r.nextDouble() < density;
            }
            MaskRle mask = MaskRle.encode(m, h, w);
            MASKS.add(mask);
            rle.add(rleJson(mask));
        }
        c.add("rle", rle);
        JsonArray polys = new JsonArray();
        for (int i = 0; i < 60; i++) {
            int h = 10 + r.nextInt(60);
            int w = 10 + r.nextInt(60);
            int n = 3 + r.nextInt(8);
            double[] xy = new double[2 * n];
            for (int k = 0; k < n; k++) {
                xy[2 * k] = -5 + r.nextDouble() * (w + 10);
                xy[2 * k + 1] = -5 + r.nextDouble() * (h + 10);
                if (i % 3 == 0) {
                    xy[2 * k] = Math.round(xy[2 * k] * 2) / 2.0; // half-pixel vertices
                    xy[2 * k + 1] = Math.round(xy[2 * k + 1] * 2) / 2.0;
                }
            }
            POLYGONS.add(xy);
            POLYGON_SIZES.add(new int[] {h, w});
            JsonObject p = new JsonObject();
            p.add("size", new Gson().toJsonTree(new int[] {h, w}));
            p.add("xy", new Gson().toJsonTree(xy));
            polys.add(p);
        }
        c.add("polygons", polys);
        JsonArray evals = new JsonArray();
        for (int e = 0; e < 6; e++) {
            JsonObject ev = randomEval(new Random(100 + e), e);
            EVALS.add(ev);
            evals.add(ev);
        }
        c.add("evals", evals);
        Path file = Files.createTempFile("coco-case", ".json");
        try {
            Files.writeString(file, c.toString());
            reference = JsonParser.parseString(TorchvisionReference.run(CocoParityTest.class, "/reference/coco_parity.py",
                    file.toString()).trim()).getAsJsonObject();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static JsonObject rleJson(MaskRle m) {
        JsonObject o = new JsonObject();
        o.add("size", new Gson().toJsonTree(new int[] {m.height(), m.width()}));
        o.add("counts", new Gson().toJsonTree(m.counts()));
        return o;
    }

    /** A random ground truth / detections pair as COCO JSON. */
    private static JsonObject randomEval(Random r, int variant) {
        int images = 3 + r.nextInt(4);
        int cats = 1 + r.nextInt(3);
        JsonObject gt = new JsonObject();
        JsonArray imgs = new JsonArray();
        JsonArray anns = new JsonArray();
        JsonArray dts = new JsonArray();
        int annId = 1;
        for (int i = 1; i <= images; i++) {
            int h = 60 + r.nextInt(200);
            int w = 60 + r.nextInt(200);
            JsonObject img = new JsonObject();
            img.addProperty("id", variant == 4 ? images + 1 - i : i); // variant 4 lists its images by descending id
            img.addProperty("file_name", i + ".png");
            img.addProperty("height", h);
            img.addProperty("width", w);
            imgs.add(img);
            int objects = i == 1 ? 0 : r.nextInt(6);
            List<int[]> boxes = new ArrayList<>();
            List<Integer> boxCats = new ArrayList<>();
            for (int k = 0; k < objects; k++) {
                int[] b = randomBox(r, h, w);
                boxes.add(b);
                int cat = 1 + r.nextInt(cats);
                boxCats.add(cat);
                boolean crowd = r.nextInt(variant >= 3 ? 3 : 6) == 0;
                JsonObject a = new JsonObject();
                a.addProperty("id", annId++);
                a.addProperty("image_id", variant == 4 ? images + 1 - i : i);
                a.addProperty("category_id", cat);
                MaskRle m = boxMask(b, h, w, r);
                a.add("bbox", new Gson().toJsonTree(new double[] {b[0], b[1], b[2], b[3]}));
                a.addProperty("area", m.area());
                a.addProperty("iscrowd", crowd ? 1 : 0);
                JsonObject seg = rleJson(m);
                if (!crowd) {
                    seg.addProperty("counts", m.toCompressedString());
                }
                a.add("segmentation", seg);
                anns.add(a);
            }
            if (i == images && variant % 2 == 1) {
                continue; // an image without detections
            }
            int detections = variant == 5 && i == 2 ? 130 : r.nextInt(12);
            for (int k = 0; k < detections; k++) {
                int[] b;
                int cat = 1 + r.nextInt(cats);
                if (!boxes.isEmpty() && r.nextInt(4) != 0) {
                    int near = r.nextInt(boxes.size());
                    int[] g = boxes.get(near);
                    cat = r.nextInt(5) == 0 ? cat : boxCats.get(near);
                    b = new int[] {Math.max(0, g[0] + r.nextInt(9) - 4), Math.max(0, g[1] + r.nextInt(9) - 4),
                        Math.max(1, g[2] + r.nextInt(9) - 4), Math.max(1, g[3] + r.nextInt(9) - 4)};
                } else {
                    b = randomBox(r, h, w);
                }
                JsonObject d = new JsonObject();
                d.addProperty("image_id", variant == 4 ? images + 1 - i : i);
                d.addProperty("category_id", cat);
                d.add("bbox", new Gson().toJsonTree(new double[] {b[0], b[1], b[2], b[3]}));
                // scores on a coarse grid, so that ties happen
                d.addProperty("score", (1 + r.nextInt(variant < 3 ? 5 : 50)) / 50.0);
                JsonObject seg = rleJson(boxMask(b, h, w, r));
                seg.addProperty("counts", boxMask(b, h, w, r).toCompressedString());
                d.add("segmentation", seg);
                dts.add(d);
            }
        }
        gt.add("images", imgs);
        gt.add("annotations", anns);
        JsonArray categories = new JsonArray();
        for (int k = 1; k <= cats; k++) {
            JsonObject cat = new JsonObject();
            cat.addProperty("id", k);
            cat.addProperty("name", "c" + k);
            categories.add(cat);
        }
        gt.add("categories", categories);
        JsonObject ev = new JsonObject();
        ev.add("gt", gt);
        ev.add("dt", dts);
        return ev;
    }

    /** Boxes of all COCO sizes: small, medium and large. */
    private static int[] randomBox(Random r, int h, int w) {
        int kind = r.nextInt(3);
        int max = kind == 0 ? 30 : kind == 1 ? 90 : 250;
        int bw = Math.min(w - 1, 2 + r.nextInt(max));
        int bh = Math.min(h - 1, 2 + r.nextInt(max));
        return new int[] {r.nextInt(w - bw), r.nextInt(h - bh), bw, bh};
    }

    /** The box filled, with its corner pixel removed (so masks and boxes differ a little). */
    private static MaskRle boxMask(int[] b, int h, int w, Random r) {
        return MaskRle.encode((y, x) -> x >= b[0] && x < b[0] + b[2] && y >= b[1] && y < b[1] + b[3]
                && !(x == b[0] && y == b[1]), h, w);
    }

    @Test
    void compressedStringsAreThoseOfPycocotools() {
        JsonArray strings = reference.getAsJsonArray("strings");
        for (int i = 0; i < MASKS.size(); i++) {
            assertEquals(strings.get(i).getAsString(), MASKS.get(i).toCompressedString(), "mask " + i);
            assertEquals(MASKS.get(i), MaskRle.fromString(strings.get(i).getAsString(), MASKS.get(i).height(),
                    MASKS.get(i).width()), "mask " + i + " decoded");
        }
    }

    @Test
    void polygonsRasteriseAsPycocotools() {
        JsonArray polys = reference.getAsJsonArray("polygons");
        for (int i = 0; i < POLYGONS.size(); i++) {
            long[] expected = new Gson().fromJson(polys.get(i), long[].class);
            int[] size = POLYGON_SIZES.get(i);
            MaskRle mine = MaskRle.fromPolygon(POLYGONS.get(i), size[0], size[1]);
            assertArrayEquals(MaskRle.of(size[0], size[1], expected).decode(), mine.decode(), "polygon " + i);
        }
    }

    @Test
    void cocoEvalNumbersAreThoseOfPycocotools() throws IOException {
        JsonArray evals = reference.getAsJsonArray("evals");
        for (int e = 0; e < EVALS.size(); e++) {
            JsonObject ev = EVALS.get(e);
            Path dir = Files.createTempDirectory("coco-eval");
            try {
                Files.writeString(dir.resolve("annotations.json"), ev.getAsJsonObject("gt").toString());
                CocoDataset ds = CocoDataset.read(dir.resolve("annotations.json"), dir);
                List<CocoEvaluator.GroundTruth> truths = new ArrayList<>();
                for (CocoDataset.Image img : ds.images()) {
                    for (CocoDataset.Annotation a : ds.annotations(img.id())) {
                        truths.add(new CocoEvaluator.GroundTruth(img.id(), a.categoryId(), a.bbox(), a.area(), a.crowd(),
                                a.mask()));
                    }
                }
                List<CocoEvaluator.Detection> dets = new ArrayList<>();
                for (JsonElement el : ev.getAsJsonArray("dt")) {
                    JsonObject d = el.getAsJsonObject();
                    JsonObject seg = d.getAsJsonObject("segmentation");
                    int h = seg.getAsJsonArray("size").get(0).getAsInt();
                    int w = seg.getAsJsonArray("size").get(1).getAsInt();
                    dets.add(new CocoEvaluator.Detection(d.get("image_id").getAsLong(), d.get("category_id").getAsLong(),
                            new Gson().fromJson(d.get("bbox"), double[].class), d.get("score").getAsDouble(),
                            MaskRle.fromString(seg.get("counts").getAsString(), h, w)));
                }
                List<Long> imageIds = ds.images().stream().map(CocoDataset.Image::id).toList();
                List<Long> catIds = ds.categories().stream().map(CocoDataset.Category::id).toList();
                for (CocoEvaluator.IouType type : CocoEvaluator.IouType.values()) {
                    String key = type == CocoEvaluator.IouType.BBOX ? "bbox" : "segm";
                    double[] expected = new Gson().fromJson(evals.get(e).getAsJsonObject().get(key), double[].class);
                    double[] mine = CocoEvaluator.evaluate(truths, dets, type, imageIds, catIds).stats();
                    assertArrayEquals(expected, mine, 1e-12, "eval " + e + " " + key);
                }
            } finally {
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
