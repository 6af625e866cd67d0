package org.fx4j.examples.retrieval;

import java.awt.AlphaComposite;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.Locale;
import java.util.Random;

/** The edits a copy of an original goes through, one per copy (the kinds of a copy-detection benchmark). */
public enum CopyEdit {
    /** A crop keeping 55 to 80 % of each side, at a random position. */
    CROP,
    /** Rescaled by a factor in [0.4, 0.6] or [1.4, 1.8]. */
    RESCALE,
    /** Re-encoded as JPEG at quality 0.15 to 0.35. */
    JPEG,
    /** Brightness x [0.7, 1.3], contrast x [0.7, 1.3], saturation x [0.5, 1.5] and a hue shift up to 0.05 turns. */
    COLOR_JITTER,
    /** Rotated by 4 to 10 degrees either way about the centre, corners filled grey. */
    ROTATION,
    /** One to three lines of text in random colours and sizes over the picture. */
    TEXT_OVERLAY;

    /** @return the directory name of the kind, e.g. {@code color_jitter} */
    public String dirName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Applies the edit (JPEG's re-encoding happens when the copy is written; here it returns a copy).
     *
     * @param image the original (not modified)
     * @param r the random source
     * @return the edited copy, RGB
     */
    public BufferedImage apply(BufferedImage image, Random r) {
        int w = image.getWidth();
        int h = image.getHeight();
        switch (this) {
            case CROP: {
                int cw = (int) (w * (0.55 + 0.25 * r.nextDouble()));
                int ch = (int) (h * (0.55 + 0.25 * r.nextDouble()));
                int x = r.nextInt(w - cw + 1);
                int y = r.nextInt(h - ch + 1);
                return copy(image.getSubimage(x, y, cw, ch));
            }
            case RESCALE: {
                double f = r.nextBoolean() ? 0.4 + 0.2 * r.nextDouble() : 1.4 + 0.4 * r.nextDouble();
                int nw = Math.max(1, (int) Math.round(w * f));
                int nh = Math.max(1, (int) Math.round(h * f));
                BufferedImage out = new BufferedImage(nw, nh, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = out.createGraphics();
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(image, 0, 0, nw, nh, null);
                g.dispose();
                return out;
            }
            case COLOR_JITTER:
                return jitter(image, r);
            case ROTATION: {
                double degrees = (4 + 6 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1);
                BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = out.createGraphics();
                g.setColor(Color.GRAY);
                g.fillRect(0, 0, w, h);
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(image, AffineTransform.getRotateInstance(Math.toRadians(degrees), w / 2.0, h / 2.0), null);
                g.dispose();
                return out;
            }
            case TEXT_OVERLAY: {
                BufferedImage out = copy(image);
                Graphics2D g = out.createGraphics();
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                int lines = 1 + r.nextInt(3);
                for (int i = 0; i < lines; i++) {
                    g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.7f + 0.3f * r.nextFloat()));
                    g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
                    g.setFont(new Font(Font.SANS_SERIF, r.nextBoolean() ? Font.BOLD : Font.PLAIN, h / 12 + r.nextInt(h / 8)));
                    g.drawString(WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)],
                            r.nextInt(w / 3), h / 6 + r.nextInt(h * 5 / 6));
                }
                g.dispose();
                return out;
            }
            case JPEG:
            default:
                return copy(image);
        }
    }

    private static final String[] WORDS = {"SALE", "copy", "fx4j", "meme", "2026", "hello", "LOL", "@user", "news",
        "sample", "#tag", "watermark"};

    private static BufferedImage jitter(BufferedImage image, Random r) {
        float brightness = 0.7f + 0.6f * r.nextFloat();
        float contrast = 0.7f + 0.6f * r.nextFloat();
        float saturation = 0.5f + r.nextFloat();
        float hue = (r.nextFloat() - 0.5f) * 0.1f;
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        float[] hsb = new float[3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(x, y);
                Color.RGBtoHSB((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255, hsb);
                float b = hsb[2] * brightness;
                b = (b - 0.5f) * contrast + 0.5f;
                float s = hsb[1] * saturation;
                out.setRGB(x, y, Color.HSBtoRGB(hsb[0] + hue, clamp(s), clamp(b)));
            }
        }
        return out;
    }

    private static float clamp(float v) {
        return Math.max(0, Math.min(1, v));
    }

    private static BufferedImage copy(BufferedImage image) {
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(image, 0, 0, null);
        g.dispose();
        return out;
    }
}
