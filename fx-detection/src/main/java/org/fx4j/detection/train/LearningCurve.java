package org.fx4j.detection.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.fx4j.detection.eval.CocoMetrics;

/**
 * The learning-curve picture of a training run: on the left the losses per iteration (moving
 * averages over 25 iterations, log scale), on the right the validation AP per epoch (box and mask,
 * AP and AP50).
 */
public final class LearningCurve {

    /** torchvision's five losses, in the order the curve and the logs use. */
    public static final List<String> LOSSES = List.of("loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness",
            "loss_rpn_box_reg");

    private static final Color[] LOSS_COLOURS = {Color.BLACK, new Color(0xd62728), new Color(0x1f77b4),
        new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e)};
    private static final int W = 1200;
    private static final int H = 480;
    private static final int SMOOTH = 25;

    private LearningCurve() {}

    /**
     * Draws the curve.
     *
     * @param lossLog rows of iteration, total loss and the five losses
     * @param history the epochs' records
     * @param file the PNG to write (replaced atomically)
     * @throws IOException if writing fails
     */
    public static void write(List<double[]> lossLog, List<DetectionTrainer.EpochRecord> history, Path file)
            throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        drawLosses(g, lossLog, 60, 40, 500, 380);
        drawAp(g, history, 680, 40, 480, 380);
        g.dispose();
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "curve", ".png.tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void drawLosses(Graphics2D g, List<double[]> log, int x0, int y0, int w, int h) {
        frame(g, x0, y0, w, h, "training losses (mean of " + SMOOTH + " iterations)", "iteration");
        if (log.isEmpty()) {
            return;
        }
        int series = 6;
        List<double[]> smooth = new ArrayList<>();
        double[] sum = new double[series];
        for (int i = 0; i < log.size(); i++) {
            for (int s = 0; s < series; s++) {
                sum[s] += log.get(i)[s + 1];
                if (i >= SMOOTH) {
                    sum[s] -= log.get(i - SMOOTH)[s + 1];
                }
            }
            int n = Math.min(i + 1, SMOOTH);
            double[] row = new double[series + 1];
            row[0] = log.get(i)[0];
            for (int s = 0; s < series; s++) {
                row[s + 1] = sum[s] / n;
            }
            smooth.add(row);
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] r : smooth) {
            for (int s = 1; s <= series; s++) {
                if (r[s] > 0) {
                    lo = Math.min(lo, Math.log10(r[s]));
                    hi = Math.max(hi, Math.log10(r[s]));
                }
            }
        }
        lo = Math.floor(lo);
        hi = Math.ceil(hi);
        if (hi <= lo) {
            hi = lo + 1;
        }
        double xMax = Math.max(1, smooth.get(smooth.size() - 1)[0]);
        g.setColor(Color.GRAY);
        for (double d = lo; d <= hi; d++) {
            int y = y0 + h - (int) ((d - lo) / (hi - lo) * h);
            // decades as plain numbers: 0.001, 0.01, ... 1, 10, 100
            String label = java.math.BigDecimal.ONE.scaleByPowerOfTen((int) d).stripTrailingZeros().toPlainString();
            g.drawString(label, x0 - 50, y + 4);
        }
        g.drawString(String.format(Locale.ROOT, "%.0f", xMax), x0 + w - 30, y0 + h + 16);
        String[] names = new String[series];
        names[0] = "loss";
        for (int s = 1; s < series; s++) {
            names[s] = LOSSES.get(s - 1);
        }
        for (int s = 0; s < series; s++) {
            g.setColor(LOSS_COLOURS[s]);
            g.setStroke(new BasicStroke(s == 0 ? 2f : 1.2f));
            int px = -1;
            int py = -1;
            for (double[] r : smooth) {
                if (!(r[s + 1] > 0)) {
                    continue;
                }
                int x = x0 + (int) (r[0] / xMax * w);
                int y = y0 + h - (int) ((Math.log10(r[s + 1]) - lo) / (hi - lo) * h);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawString(names[s], x0 + w - 130, y0 + 16 + 14 * s);
        }
    }

    private static void drawAp(Graphics2D g, List<DetectionTrainer.EpochRecord> history, int x0, int y0, int w,
            int h) {
        frame(g, x0, y0, w, h, "validation AP per epoch", "epoch");
        g.setColor(Color.GRAY);
        for (int i = 0; i <= 10; i += 2) {
            int y = y0 + h - i * h / 10;
            g.drawString(String.format(Locale.ROOT, "%.1f", i / 10.0), x0 - 30, y + 4);
        }
        List<DetectionTrainer.EpochRecord> evaluated = history.stream().filter(r -> r.box() != null).toList();
        if (evaluated.isEmpty()) {
            g.drawString("no validation set", x0 + w / 2 - 50, y0 + h / 2);
            return;
        }
        int n = evaluated.size();
        String[] names = {"box AP50", "box AP", "mask AP50", "mask AP"};
        Color[] colours = {new Color(0xd62728), new Color(0xff9896), new Color(0x1f77b4), new Color(0xaec7e8)};
        for (int s = 0; s < 4; s++) {
            g.setColor(colours[s]);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (int i = 0; i < n; i++) {
                DetectionTrainer.EpochRecord r = evaluated.get(i);
                CocoMetrics m = s < 2 ? r.box() : r.mask();
                if (m == null) {
                    continue;
                }
                double v = Math.max(0, s % 2 == 0 ? m.ap50() : m.ap());
                int x = x0 + (n == 1 ? w / 2 : i * w / (n - 1));
                int y = y0 + h - (int) (v * h);
                g.fillOval(x - 3, y - 3, 6, 6);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawString(names[s], x0 + 10, y0 + 16 + 14 * s);
        }
        g.setColor(Color.GRAY);
        for (int i = 0; i < n; i++) {
            int x = x0 + (n == 1 ? w / 2 : i * w / (n - 1));
            DetectionTrainer.EpochRecord r = evaluated.get(i);
            g.drawString(r.epoch() + (r.complete() ? "" : "*"), x - 4, y0 + h + 16);
        }
    }

    private static void frame(Graphics2D g, int x0, int y0, int w, int h, String title, String xLabel) {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x0, y0, w, h);
        g.drawString(title, x0, y0 - 10);
        g.drawString(xLabel, x0 + w / 2 - 20, y0 + h + 32);
    }
}
