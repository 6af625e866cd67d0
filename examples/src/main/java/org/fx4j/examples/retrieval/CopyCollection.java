package org.fx4j.examples.retrieval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * A generated copy-detection collection: {@code count} distinct synthetic pictures
 * ({@code DIR/collection/NNNN.png}: a two-colour gradient, 5 to 12 random shapes, stripes, and pixel
 * noise, 192 to 320 pixels a side) and, for {@code copies} of them, one edited copy per {@link
 * CopyEdit} ({@code DIR/queries/<edit>/NNNN.png}, {@code .jpg} for the JPEG edit). A copy has its
 * original's file name stem: that is the ground truth. Deterministic in the seed.
 */
public final class CopyCollection {

    /** The directory of the originals. */
    public static final String COLLECTION = "collection";
    /** The directory of the edited copies, one subdirectory per edit. */
    public static final String QUERIES = "queries";

    private CopyCollection() {}

    /**
     * Writes a collection.
     *
     * @param dir the directory (created; must not hold a collection already)
     * @param count how many originals (at least 1)
     * @param copies how many of them get edited copies (at most {@code count})
     * @param seed the random seed
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if the counts are impossible or DIR already holds a collection
     */
    public static void generate(Path dir, int count, int copies, long seed) throws IOException {
        if (count < 1 || copies < 0 || copies > count) {
            throw new IllegalArgumentException("need at least 1 original and 0 to " + count + " copies, got " + count
                    + " and " + copies);
        }
        if (Files.exists(dir.resolve(COLLECTION)) || Files.exists(dir.resolve(QUERIES))) {
            throw new IllegalArgumentException(dir + " already holds a collection; name an empty or new directory");
        }
        Files.createDirectories(dir.resolve(COLLECTION));
        for (int i = 0; i < count; i++) {
            ImageIO.write(original(seed, i), "png", dir.resolve(COLLECTION).resolve(name(i) + ".png").toFile());
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            order.add(i);
        }
        Random r = new Random(seed ^ 0x5DEECE66DL);
        Collections.shuffle(order, r);
        List<Integer> chosen = new ArrayList<>(order.subList(0, copies));
        Collections.sort(chosen);
        for (CopyEdit edit : CopyEdit.values()) {
            Path kindDir = dir.resolve(QUERIES).resolve(edit.dirName());
            Files.createDirectories(kindDir);
            for (int i : chosen) {
                Random er = new Random(seed * 31 + i * 7919L + edit.ordinal());
                BufferedImage copy = edit.apply(original(seed, i), er);
                if (edit == CopyEdit.JPEG) {
                    writeJpeg(copy, kindDir.resolve(name(i) + ".jpg"), 0.15f + 0.2f * er.nextFloat());
                } else {
                    ImageIO.write(copy, "png", kindDir.resolve(name(i) + ".png").toFile());
                }
            }
        }
    }

    private static BufferedImage original(long seed, int i) {
        return draw(new Random(seed * 1_000_003L + i));
    }

    private static String name(int i) {
        return String.format(Locale.ROOT, "%04d", i);
    }

    /**
     * Draws one picture.
     *
     * @param r the random source
     * @return an RGB image
     */
    static BufferedImage draw(Random r) {
        int w = 192 + r.nextInt(129);
        int h = 192 + r.nextInt(129);
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(r.nextInt(w), r.nextInt(h), color(r, 255), r.nextInt(w), r.nextInt(h),
                color(r, 255)));
        g.fillRect(0, 0, w, h);
        if (r.nextBoolean()) { // stripes over part of the picture
            g.setColor(color(r, 60 + r.nextInt(100)));
            g.setStroke(new BasicStroke(2 + r.nextInt(8)));
            int step = 8 + r.nextInt(24);
            int x0 = r.nextInt(w / 2);
            for (int x = x0; x < x0 + w; x += step) {
                g.drawLine(x, 0, x - w / 3, h);
            }
        }
        int shapes = 5 + r.nextInt(8);
        for (int s = 0; s < shapes; s++) {
            g.setColor(color(r, 150 + r.nextInt(106)));
            int x = r.nextInt(w);
            int y = r.nextInt(h);
            int sw = 16 + r.nextInt(w / 2);
            int sh = 16 + r.nextInt(h / 2);
            switch (r.nextInt(5)) {
                case 0 -> g.fillOval(x - sw / 2, y - sh / 2, sw, sh);
                case 1 -> g.fillRect(x - sw / 2, y - sh / 2, sw, sh);
                case 2 -> g.fillRoundRect(x - sw / 2, y - sh / 2, sw, sh, sw / 3, sh / 3);
                case 3 -> {
                    Polygon p = new Polygon();
                    int corners = 3 + r.nextInt(4);
                    for (int c = 0; c < corners; c++) {
                        p.addPoint(x + r.nextInt(sw) - sw / 2, y + r.nextInt(sh) - sh / 2);
                    }
                    g.fillPolygon(p);
                }
                default -> {
                    g.setStroke(new BasicStroke(3 + r.nextInt(12)));
                    g.drawLine(x, y, x + r.nextInt(sw) - sw / 2, y + r.nextInt(sh) - sh / 2);
                }
            }
        }
        g.dispose();
        int noise = 4 + r.nextInt(12);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(x, y);
                int d = r.nextInt(2 * noise + 1) - noise;
                image.setRGB(x, y, (byte8(((rgb >> 16) & 255) + d) << 16) | (byte8(((rgb >> 8) & 255) + d) << 8)
                        | byte8((rgb & 255) + d));
            }
        }
        return image;
    }

    private static int byte8(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static Color color(Random r, int alpha) {
        return new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256), alpha);
    }

    private static void writeJpeg(BufferedImage image, Path file, float quality) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
