package org.fx4j.examples.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws detections on an image: each mask tinted (pixels above 0.5), its box, label and score. */
public final class DetectionOverlay {

    private DetectionOverlay() {}

    /**
     * Writes the picture as PNG.
     *
     * @param image the original image
     * @param boxes 4 coordinates per detection, in the image's pixels
     * @param labels one per detection
     * @param scores one per detection
     * @param masks detection index to its row-major [H, W] probabilities, or null
     * @param out the PNG file
     * @throws IOException if it cannot be written
     */
    public static void write(BufferedImage image, float[] boxes, long[] labels, float[] scores,
            java.util.function.IntFunction<float[]> masks, Path out) throws IOException {
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage canvas = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        g.drawImage(image, 0, 0, null);
        int n = scores.length;
        if (masks != null) {
            for (int i = n - 1; i >= 0; i--) {
                Color c = colour(labels[i]);
                float[] m = masks.apply(i);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        if (m[y * w + x] > 0.5f) {
                            int rgb = canvas.getRGB(x, y);
                            int r = (((rgb >> 16) & 0xff) * 3 + c.getRed() * 2) / 5;
                            int gr = (((rgb >> 8) & 0xff) * 3 + c.getGreen() * 2) / 5;
                            int b = ((rgb & 0xff) * 3 + c.getBlue() * 2) / 5;
                            canvas.setRGB(x, y, (r << 16) | (gr << 8) | b);
                        }
                    }
                }
            }
        }
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(10, Math.min(w, h) / 40)));
        g.setStroke(new BasicStroke(Math.max(1f, Math.min(w, h) / 300f)));
        for (int i = n - 1; i >= 0; i--) {
            Color c = colour(labels[i]);
            int x1 = Math.round(boxes[i * 4]);
            int y1 = Math.round(boxes[i * 4 + 1]);
            int x2 = Math.round(boxes[i * 4 + 2]);
            int y2 = Math.round(boxes[i * 4 + 3]);
            g.setColor(c);
            g.drawRect(x1, y1, Math.max(0, x2 - x1), Math.max(0, y2 - y1));
            String text = String.format(Locale.ROOT, "%d %.2f", labels[i], scores[i]);
            int th = g.getFontMetrics().getHeight();
            int tw = g.getFontMetrics().stringWidth(text);
            int ty = Math.max(th, y1);
            g.fillRect(x1, ty - th, tw + 4, th);
            g.setColor(Color.WHITE);
            g.drawString(text, x1 + 2, ty - g.getFontMetrics().getDescent());
        }
        g.dispose();
        if (!ImageIO.write(canvas, "png", out.toFile())) {
            throw new IOException("no PNG writer available for '" + out + "'");
        }
    }

    private static Color colour(long label) {
        float hue = (float) ((label * 0.618033988749895) % 1.0);
        return Color.getHSBColor(hue, 0.85f, 0.95f);
    }
}
