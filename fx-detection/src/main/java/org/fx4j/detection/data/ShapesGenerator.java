package org.fx4j.detection.data;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;

/**
 * A synthetic instance-segmentation set that needs nothing from the network: circles, squares and
 * triangles of varied size, colour and rotation on textured backgrounds (noise, stripes and a colour
 * gradient), overlapping, with exact masks (a pixel belongs to a shape when its centre does, and to
 * the last shape drawn over it). A shape is never hidden more than {@value #MAX_HIDDEN_PERCENT} %
 * by later ones, so every drawn shape is annotated. The same seed always gives the same images and
 * annotations; each image depends only on the seed and its index.
 *
 * <p>Written as COCO instances: {@code DIR/annotations.json} (images, annotations with {@code bbox},
 * compressed-RLE {@code segmentation}, {@code area}, {@code iscrowd} 0, and the three categories) and
 * {@code DIR/images/NNNNNN.png}.
 */
public final class ShapesGenerator {

    /** The categories, ids 1, 2, 3. */
    public static final List<String> CATEGORIES = List.of("circle", "square", "triangle");
    /** At most this share of a shape is covered by later shapes. */
    public static final int MAX_HIDDEN_PERCENT = 40;

    private final int size;
    private final long seed;

    /**
     * @param size the images' side in pixels (at least 32)
     * @param seed the seed
     */
    public ShapesGenerator(int size, long seed) {
        if (size < 32) {
            throw new IllegalArgumentException("shape images need a side of at least 32 pixels, got " + size);
        }
        this.size = size;
        this.seed = seed;
    }

    /**
     * One generated image and its instances.
     *
     * @param picture the RGB image
     * @param categories each instance's category id (1 circle, 2 square, 3 triangle)
     * @param masks each instance's visible mask
     * @param fullAreas each instance's area in pixels before later shapes covered part of it (the
     *     visible mask keeps at least {@code 100 - MAX_HIDDEN_PERCENT} % of it)
     */
    public record Sample(BufferedImage picture, List<Integer> categories, List<MaskRle> masks,
            List<Integer> fullAreas) {}

    /** A shape's pixel test, in pixel-centre coordinates. */
    private interface Shape {
        boolean contains(double x, double y);
    }

    /**
     * Generates image {@code index}.
     *
     * @param index the image's index
     * @return the image and its instances
     */
    public Sample generate(int index) {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 12345);
        int[] rgb = background(r);
        int count = 1 + r.nextInt(5);
        List<boolean[]> visible = new ArrayList<>();
        List<Integer> fullAreas = new ArrayList<>();
        List<Integer> cats = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            for (int attempt = 0; attempt < 20; attempt++) {
                int cat = 1 + r.nextInt(3);
                double radius = size * (0.06 + 0.16 * r.nextDouble());
                double cx = radius + r.nextDouble() * (size - 2 * radius);
                double cy = radius + r.nextDouble() * (size - 2 * radius);
                double angle = r.nextDouble() * Math.PI * 2;
                Shape shape = shape(cat, cx, cy, radius, angle);
                boolean[] mask = new boolean[size * size];
                int area = 0;
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        if (shape.contains(x + 0.5, y + 0.5)) {
                            mask[y * size + x] = true;
                            area++;
                        }
                    }
                }
                if (area < 16 || !fitsOver(mask, visible, fullAreas)) {
                    continue;
                }
                for (boolean[] v : visible) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] &= !mask[i];
                    }
                }
                int colour = colour(r, rgb, mask);
                for (int i = 0; i < mask.length; i++) {
                    if (mask[i]) {
                        rgb[i] = colour;
                    }
                }
                visible.add(mask);
                fullAreas.add(area);
                cats.add(cat);
                break;
            }
        }
        BufferedImage picture = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        picture.setRGB(0, 0, size, size, rgb, 0, size);
        List<MaskRle> masks = new ArrayList<>();
        for (boolean[] v : visible) {
            masks.add(MaskRle.encode(v, size, size));
        }
        return new Sample(picture, List.copyOf(cats), List.copyOf(masks), List.copyOf(fullAreas));
    }

    /**
     * Whether a new shape leaves every earlier one at least (100 - MAX_HIDDEN_PERCENT) % of its whole
     * area visible (and 16 pixels).
     */
    private static boolean fitsOver(boolean[] mask, List<boolean[]> visible, List<Integer> fullAreas) {
        for (int k = 0; k < visible.size(); k++) {
            boolean[] v = visible.get(k);
            int left = 0;
            for (int i = 0; i < v.length; i++) {
                if (v[i] && !mask[i]) {
                    left++;
                }
            }
            if (left * 100 < fullAreas.get(k) * (100 - MAX_HIDDEN_PERCENT) || left < 16) {
                return false;
            }
        }
        return true;
    }

    private static Shape shape(int cat, double cx, double cy, double radius, double angle) {
        switch (cat) {
            case 1:
                return (x, y) -> (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius;
            case 2: {
                double half = radius / Math.sqrt(2) * 1.15;
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                return (x, y) -> {
                    double u = (x - cx) * c + (y - cy) * s;
                    double v = -(x - cx) * s + (y - cy) * c;
                    return Math.abs(u) <= half && Math.abs(v) <= half;
                };
            }
            default: {
                double[] px = new double[3];
                double[] py = new double[3];
                for (int k = 0; k < 3; k++) {
                    px[k] = cx + radius * Math.cos(angle + k * 2 * Math.PI / 3);
                    py[k] = cy + radius * Math.sin(angle + k * 2 * Math.PI / 3);
                }
                return (x, y) -> {
                    boolean neg = false;
                    boolean pos = false;
                    for (int k = 0; k < 3; k++) {
                        int n = (k + 1) % 3;
                        double d = (px[n] - px[k]) * (y - py[k]) - (py[n] - py[k]) * (x - px[k]);
                        neg |= d < 0;
                        pos |= d > 0;
                    }
                    return !(neg && pos);
                };
            }
        }
    }

    /** A textured background: a two-colour gradient, stripes of random angle and period, and noise. */
    private int[] background(Random r) {
        int[] a = randomColour(r);
        int[] b = randomColour(r);
        double angle = r.nextDouble() * Math.PI;
        double period = 6 + r.nextDouble() * 30;
        double stripe = 10 + r.nextDouble() * 30;
        double ca = Math.cos(angle);
        double sa = Math.sin(angle);
        int[] rgb = new int[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double t = (x + y) / (2.0 * size);
                double wave = stripe * Math.sin((x * ca + y * sa) * 2 * Math.PI / period);
                int[] c = new int[3];
                for (int k = 0; k < 3; k++) {
                    c[k] = clamp(a[k] * (1 - t) + b[k] * t + wave + r.nextGaussian() * 12);
                }
                rgb[y * size + x] = (c[0] << 16) | (c[1] << 8) | c[2];
            }
        }
        return rgb;
    }

    /** A random colour that differs from the background under the shape by a visible margin. */
    private static int colour(Random r, int[] rgb, boolean[] mask) {
        double[] mean = new double[3];
        int n = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                mean[0] += (rgb[i] >> 16) & 0xff;
                mean[1] += (rgb[i] >> 8) & 0xff;
                mean[2] += rgb[i] & 0xff;
                n++;
            }
        }
        int[] c = randomColour(r);
        for (int attempt = 0; attempt < 50; attempt++) {
            double d = 0;
            for (int k = 0; k < 3; k++) {
                d += Math.abs(c[k] - mean[k] / n);
            }
            if (d > 120) {
                break;
            }
            c = randomColour(r);
        }
        return (c[0] << 16) | (c[1] << 8) | c[2];
    }

    private static int[] randomColour(Random r) {
        return new int[] {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    /**
     * Writes {@code count} images and their COCO annotations into {@code dir} (created if absent;
     * {@code annotations.json} is written last, through a temporary file, so a directory with it is
     * complete).
     *
     * @param count the number of images (at least 1)
     * @param dir the output directory
     * @return the number of annotations written
     * @throws IOException if writing fails
     */
    public int write(int count, Path dir) throws IOException {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        Path images = dir.resolve("images");
        Files.createDirectories(images);
        Sample[] samples = new Sample[count];
        try {
            IntStream.range(0, count).parallel().forEach(i -> {
                Sample s = generate(i);
                try {
                    ImageIO.write(s.picture(), "png", images.resolve(fileName(i)).toFile());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                // Keep the annotations only; the pictures are on disk.
                samples[i] = new Sample(null, s.categories(), s.masks(), s.fullAreas());
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        JsonObject root = new JsonObject();
        JsonArray imageList = new JsonArray();
        JsonArray annotations = new JsonArray();
        long annId = 1;
        for (int i = 0; i < count; i++) {
            JsonObject img = new JsonObject();
            img.addProperty("id", i + 1);
            img.addProperty("file_name", fileName(i));
            img.addProperty("height", size);
            img.addProperty("width", size);
            imageList.add(img);
            for (int k = 0; k < samples[i].masks().size(); k++) {
                MaskRle m = samples[i].masks().get(k);
                JsonObject a = new JsonObject();
                a.addProperty("id", annId++);
                a.addProperty("image_id", i + 1);
                a.addProperty("category_id", samples[i].categories().get(k));
                JsonArray bbox = new JsonArray();
                for (double v : m.bbox()) {
                    bbox.add(v);
                }
                a.add("bbox", bbox);
                JsonObject seg = new JsonObject();
                JsonArray sz = new JsonArray();
                sz.add(size);
                sz.add(size);
                seg.add("size", sz);
                seg.addProperty("counts", m.toCompressedString());
                a.add("segmentation", seg);
                a.addProperty("area", m.area());
                a.addProperty("iscrowd", 0);
                annotations.add(a);
            }
        }
        JsonArray cats = new JsonArray();
        for (int c = 0; c < CATEGORIES.size(); c++) {
            JsonObject o = new JsonObject();
            o.addProperty("id", c + 1);
            o.addProperty("name", CATEGORIES.get(c));
            o.addProperty("supercategory", "shape");
            cats.add(o);
        }
        JsonObject info = new JsonObject();
        info.addProperty("description", "fx4j shapes, seed " + seed + ", size " + size);
        root.add("info", info);
        root.add("images", imageList);
        root.add("annotations", annotations);
        root.add("categories", cats);
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        Path tmp = Files.createTempFile(dir, "annotations", ".json.tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            gson.toJson(root, w);
        }
        Files.move(tmp, dir.resolve("annotations.json"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return annotations.size();
    }

    private static String fileName(int i) {
        return String.format("%06d.png", i);
    }
}
