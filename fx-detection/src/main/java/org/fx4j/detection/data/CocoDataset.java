package org.fx4j.detection.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A COCO instances file ({@code instances_*.json}): images, annotations (box, polygons or RLE
 * segmentation, area, crowd flag) and categories. Categories are sorted by id and mapped to
 * contiguous labels 1..K (0 is the background), as torchvision's detection references do for
 * training; the original ids come back for COCO's evaluation. Segmentations are decoded to
 * {@link MaskRle} as pycocotools' {@code annToRLE} does (polygons rasterised and merged, uncompressed
 * and compressed RLE). Every problem names the annotation or image it is in.
 */
public final class CocoDataset {

    /**
     * One image entry.
     *
     * @param id the COCO image id
     * @param fileName the file, relative to the image directory
     * @param height the height in pixels
     * @param width the width in pixels
     */
    public record Image(long id, String fileName, int height, int width) {}

    /**
     * One category.
     *
     * @param id the COCO category id
     * @param name its name
     * @param label its contiguous training label (1..K)
     */
    public record Category(long id, String name, int label) {}

    /**
     * One annotation.
     *
     * @param id the annotation id
     * @param imageId the image it belongs to
     * @param categoryId the COCO category id
     * @param bbox [x, y, w, h] in pixels
     * @param area the area COCO's evaluation uses for its size ranges
     * @param crowd whether it is a crowd region ({@code iscrowd} 1)
     * @param mask the segmentation, or null if the annotation has none
     */
    public record Annotation(long id, long imageId, long categoryId, double[] bbox, double area, boolean crowd,
            MaskRle mask) {}

    private final Path imageDir;
    private final List<Image> images;
    private final List<Category> categories;
    private final Map<Long, Category> categoryById;
    private final Map<Long, List<Annotation>> byImage;

    private CocoDataset(Path imageDir, List<Image> images, List<Category> categories,
            Map<Long, List<Annotation>> byImage) {
        this.imageDir = imageDir;
        this.images = List.copyOf(images);
        this.categories = List.copyOf(categories);
        this.categoryById = new HashMap<>();
        for (Category c : categories) {
            categoryById.put(c.id(), c);
        }
        this.byImage = byImage;
    }

    /**
     * Opens a dataset directory laid out as {@code fx shapes} writes it: {@code DIR/annotations.json}
     * and the images under {@code DIR/images}.
     *
     * @param dir the directory
     * @return the dataset
     * @throws IOException if the file cannot be read or is not a COCO instances file
     */
    public static CocoDataset open(Path dir) throws IOException {
        Path json = dir.resolve("annotations.json");
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "a COCO dataset directory holds annotations.json"
                    + " and images/ (as `fx shapes` writes them); " + dir + " has no annotations.json");
        }
        return read(json, dir.resolve("images"));
    }

    /**
     * Reads a COCO instances file.
     *
     * @param annotations the JSON file
     * @param imageDir the directory the images' {@code file_name}s are relative to
     * @return the dataset
     * @throws IOException if the file cannot be read or is not a COCO instances file
     */
    public static CocoDataset read(Path annotations, Path imageDir) throws IOException {
        JsonObject root;
        try (Reader r = Files.newBufferedReader(annotations, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new IOException(annotations + " is not a COCO instances file: the top level is not an object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IOException(annotations + " is not valid JSON: " + e.getMessage(), e);
        }
        String src = annotations.toString();
        List<Image> images = new ArrayList<>();
        Map<Long, Image> imageById = new HashMap<>();
        for (JsonElement e : array(root, "images", src)) {
            JsonObject o = object(e, src, "an images entry");
            long id = number(o, "id", src, "image").longValue();
            String where = "image " + id;
            double h = number(o, "height", src, where).doubleValue();
            double w = number(o, "width", src, where).doubleValue();
            if (!(h >= 1 && w >= 1 && h <= 1 << 20 && w <= 1 << 20 && h == Math.rint(h) && w == Math.rint(w))) {
                throw new IOException(src + ": " + where + " has size " + o.get("height") + "x" + o.get("width")
                        + "; height and width must be whole numbers from 1 to 2^20");
            }
            Image img = new Image(id, string(o, "file_name", src, where), (int) h, (int) w);
            if (imageById.put(id, img) != null) {
                throw new IOException(src + ": image id " + id + " appears twice");
            }
            images.add(img);
        }
        List<Category> categories = new ArrayList<>();
        List<JsonObject> cats = new ArrayList<>();
        for (JsonElement e : array(root, "categories", src)) {
            cats.add(object(e, src, "a categories entry"));
        }
        for (JsonObject o : cats) {
            number(o, "id", src, "category");
        }
        cats.sort(Comparator.comparingLong(o -> o.get("id").getAsLong()));
        Map<Long, Category> categoryById = new HashMap<>();
        for (JsonObject o : cats) {
            long id = number(o, "id", src, "category").longValue();
            JsonElement name = o.get("name");
            Category c = new Category(id, name != null && name.isJsonPrimitive() ? name.getAsString() : Long.toString(id),
                    categories.size() + 1);
            if (categoryById.put(id, c) != null) {
                throw new IOException(src + ": category id " + id + " appears twice");
            }
            categories.add(c);
        }
        Map<Long, List<Annotation>> byImage = new LinkedHashMap<>();
        for (Image img : images) {
            byImage.put(img.id(), new ArrayList<>());
        }
        JsonArray anns = root.has("annotations") ? array(root, "annotations", src) : new JsonArray();
        for (JsonElement e : anns) {
            JsonObject o = object(e, src, "an annotations entry");
            long id = number(o, "id", src, "annotation").longValue();
            String where = "annotation " + id;
            try {
                readAnnotation(o, id, where, src, imageById, categoryById, byImage);
            } catch (IllegalStateException | NumberFormatException | UnsupportedOperationException
                    | ClassCastException e2) {
                throw new IOException(src + ": " + where + " has a field of the wrong type: " + e2.getMessage(), e2);
            }
        }
        Map<Long, List<Annotation>> frozen = new LinkedHashMap<>();
        byImage.forEach((k, v) -> frozen.put(k, Collections.unmodifiableList(v)));
        return new CocoDataset(imageDir, images, categories, frozen);
    }

    private static void readAnnotation(JsonObject o, long id, String where, String src, Map<Long, Image> imageById,
            Map<Long, Category> categoryById, Map<Long, List<Annotation>> byImage) throws IOException {
        long imageId = number(o, "image_id", src, where).longValue();
        Image img = imageById.get(imageId);
        if (img == null) {
            throw new IOException(src + ": " + where + " refers to image " + imageId + ", which is not in"
                    + " \"images\"");
        }
        long categoryId = number(o, "category_id", src, where).longValue();
        if (!categoryById.containsKey(categoryId)) {
            throw new IOException(src + ": " + where + " has category " + categoryId + ", which is not in"
                    + " \"categories\"");
        }
        JsonElement c = o.get("iscrowd");
        boolean crowd = c != null && !c.isJsonNull() && (c.getAsJsonPrimitive().isBoolean() ? c.getAsBoolean()
                : c.getAsDouble() != 0);
        MaskRle mask = o.has("segmentation") ? segmentation(o.get("segmentation"), img, src, where) : null;
        double[] bbox;
        if (o.has("bbox")) {
            JsonArray b = array(o, "bbox", src);
            if (b.size() != 4) {
                throw new IOException(src + ": " + where + " has a bbox of " + b.size() + " numbers; COCO"
                        + " boxes are [x, y, width, height]");
            }
            bbox = new double[4];
            for (int i = 0; i < 4; i++) {
                bbox[i] = b.get(i).getAsDouble();
                if (!Double.isFinite(bbox[i])) {
                    throw new IOException(src + ": " + where + " has a non-finite bbox value");
                }
            }
            if (bbox[2] < 0 || bbox[3] < 0) {
                throw new IOException(src + ": " + where + " has a bbox of negative size " + bbox[2] + "x"
                        + bbox[3]);
            }
        } else if (mask != null) {
            bbox = mask.bbox();
        } else {
            throw new IOException(src + ": " + where + " has neither a bbox nor a segmentation");
        }
        double area = o.has("area") ? o.get("area").getAsDouble() : mask != null ? mask.area() : bbox[2] * bbox[3];
        if (!Double.isFinite(area)) {
            throw new IOException(src + ": " + where + " has a non-finite area");
        }
        byImage.get(imageId).add(new Annotation(id, imageId, categoryId, bbox, area, crowd, mask));
    }

    /** pycocotools' annToRLE: polygons (merged), uncompressed RLE, compressed RLE. */
    private static MaskRle segmentation(JsonElement seg, Image img, String src, String where) throws IOException {
        try {
            if (seg.isJsonArray()) {
                List<MaskRle> parts = new ArrayList<>();
                for (JsonElement poly : seg.getAsJsonArray()) {
                    if (!poly.isJsonArray()) {
                        throw new IOException(src + ": " + where + " has a polygon that is not a list of numbers");
                    }
                    JsonArray a = poly.getAsJsonArray();
                    // as pycocotools: a trailing odd value is ignored, fewer than 3 points draw nothing
                    double[] xy = new double[a.size() / 2 * 2];
                    for (int i = 0; i < xy.length; i++) {
                        xy[i] = a.get(i).getAsDouble();
                    }
                    parts.add(xy.length < 6 ? MaskRle.of(img.height(), img.width(),
                            new long[] {(long) img.height() * img.width()}) : MaskRle.fromPolygon(xy, img.height(),
                            img.width()));
                }
                if (parts.isEmpty()) {
                    return MaskRle.of(img.height(), img.width(), new long[] {(long) img.height() * img.width()});
                }
                return MaskRle.union(parts);
            }
            if (seg.isJsonObject()) {
                JsonObject o = seg.getAsJsonObject();
                JsonArray size = array(o, "size", src);
                if (size.size() != 2) {
                    throw new IOException(src + ": " + where + " has an RLE size of " + size.size() + " numbers, not"
                            + " [height, width]");
                }
                int h = size.get(0).getAsInt();
                int w = size.get(1).getAsInt();
                if (h != img.height() || w != img.width()) {
                    throw new IOException(src + ": " + where + " has an RLE of size " + h + "x" + w + " but image "
                            + img.id() + " is " + img.height() + "x" + img.width());
                }
                JsonElement counts = o.get("counts");
                if (counts == null) {
                    throw new IOException(src + ": " + where + " has an RLE without \"counts\"");
                }
                if (counts.isJsonArray()) {
                    JsonArray c = counts.getAsJsonArray();
                    long[] runs = new long[c.size()];
                    for (int i = 0; i < runs.length; i++) {
                        runs[i] = c.get(i).getAsLong();
                    }
                    return MaskRle.of(h, w, runs);
                }
                return MaskRle.fromString(counts.getAsString(), h, w);
            }
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw new IOException(src + ": " + where + " has a bad segmentation: " + e.getMessage(), e);
        }
        throw new IOException(src + ": " + where + " has a segmentation that is neither polygons nor RLE");
    }

    private static JsonArray array(JsonObject o, String key, String src) throws IOException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new IOException(src + " is not a COCO instances file: \"" + key + "\" is missing or not a list");
        }
        return e.getAsJsonArray();
    }

    private static JsonObject object(JsonElement e, String src, String what) throws IOException {
        if (!e.isJsonObject()) {
            throw new IOException(src + ": " + what + " is not an object");
        }
        return e.getAsJsonObject();
    }

    private static Number number(JsonObject o, String key, String src, String where) throws IOException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IOException(src + ": " + where + (o.has("id") && !key.equals("id") ? " " + o.get("id") : "")
                    + " has no numeric \"" + key + "\"");
        }
        return e.getAsNumber();
    }

    private static String string(JsonObject o, String key, String src, String where) throws IOException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new IOException(src + ": " + where + " has no \"" + key + "\"");
        }
        return e.getAsString();
    }

    /** @return the images, in the file's order */
    public List<Image> images() {
        return images;
    }

    /** @return the categories, sorted by id, with their labels */
    public List<Category> categories() {
        return categories;
    }

    /** @return the number of classes a model needs: the categories plus the background */
    public int numClasses() {
        return categories.size() + 1;
    }

    /**
     * @param categoryId a COCO category id
     * @return its contiguous label (1..K)
     * @throws IllegalArgumentException for an unknown category
     */
    public int label(long categoryId) {
        Category c = categoryById.get(categoryId);
        if (c == null) {
            throw new IllegalArgumentException("category " + categoryId + " is not in the dataset");
        }
        return c.label();
    }

    /**
     * @param label a contiguous label (1..K)
     * @return its category
     * @throws IllegalArgumentException for a label outside 1..K
     */
    public Category category(int label) {
        if (label < 1 || label > categories.size()) {
            throw new IllegalArgumentException("label " + label + " is outside 1.." + categories.size());
        }
        return categories.get(label - 1);
    }

    /**
     * @param imageId an image id
     * @return its annotations (crowd regions included), in the file's order
     */
    public List<Annotation> annotations(long imageId) {
        List<Annotation> a = byImage.get(imageId);
        if (a == null) {
            throw new IllegalArgumentException("image " + imageId + " is not in the dataset");
        }
        return a;
    }

    /**
     * @param image an image of this dataset
     * @return its file
     */
    public Path imagePath(Image image) {
        return imageDir.resolve(image.fileName());
    }

    /**
     * Reads an image's file, checking that its size is the one the annotations give (masks and boxes
     * are in those pixels).
     *
     * @param image an image of this dataset
     * @return the picture
     * @throws IOException if it cannot be read or its size differs from the annotations'
     */
    public java.awt.image.BufferedImage readPicture(Image image) throws IOException {
        java.awt.image.BufferedImage picture = DetectionImages.read(imagePath(image));
        if (picture.getHeight() != image.height() || picture.getWidth() != image.width()) {
            throw new IOException(imagePath(image) + " is " + picture.getHeight() + "x" + picture.getWidth()
                    + " but the annotations say image " + image.id() + " is " + image.height() + "x" + image.width());
        }
        return picture;
    }

    /** @return the directory the images are read from */
    public Path imageDir() {
        return imageDir;
    }
}
