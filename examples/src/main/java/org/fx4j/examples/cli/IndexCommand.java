package org.fx4j.examples.cli;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.translate.TranslateException;
import com.google.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.fx4j.descriptors.DescriptorIndex;
import org.fx4j.descriptors.Pooling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fx index DIR --model M --node N [--pooling gem:3] [--weights FILE] [--resize 256] [--crop 224]
 * [--batch 16] --out INDEX}: describes every image under DIR (pooled, L2-normalised node output) into
 * a {@link DescriptorIndex}. Resumable: an existing INDEX made with the same settings is extended
 * with the images it lacks; it is saved every 30 seconds. Unreadable images are skipped and listed in
 * one warning.
 */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Index a directory of images (global descriptors) for `fx search` and `fx copies`.")
public final class IndexCommand implements Callable<Integer> {

    /** The setting that records DIR as given, the prefix of every indexed path. */
    static final String DIR_AS_GIVEN = "dir.as-given";

    private static final long SAVE_EVERY_NANOS = 30_000_000_000L;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of images (.jpg, .jpeg, .png, .bmp, .gif;"
            + " searched recursively).")
    private Path dir;

    @Option(names = "--model", required = true, paramLabel = "M", description = "Model name, e.g. resnet50.")
    private String model;

    @Option(names = "--node", required = true, paramLabel = "N",
            description = "Node whose output is pooled, e.g. layer3 (see `fx nodes M`).")
    private String node;

    @Option(names = "--pooling", defaultValue = "gem:3", paramLabel = "P",
            description = "avg, max, gem or gem:P (default ${DEFAULT-VALUE}).")
    private String pooling;

    @Option(names = "--resize", defaultValue = "256", description = "Shorter side after resizing (default ${DEFAULT-VALUE}).")
    private int resize;

    @Option(names = "--crop", defaultValue = "224", description = "Centre crop (default ${DEFAULT-VALUE}).")
    private int crop;

    @Option(names = "--batch", defaultValue = "16", description = "Images per forward pass (default ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--whiten", paramLabel = "D", description = "Also learn a PCA whitening to D dimensions from"
            + " the indexed descriptors (saved as INDEX.whitening; `fx search` and `fx copies` then use it).")
    private Integer whiten;

    @Option(names = "--out", required = true, paramLabel = "INDEX", description = "The index file (extended if it exists).")
    private Path out;

    @Mixin
    private WeightsOptions weights = new WeightsOptions();

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public IndexCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, TranslateException, InterruptedException {
        if (!Files.isDirectory(dir)) {
            throw new ParameterException(spec.commandLine(), "DIR '" + dir + "' is not a directory");
        }
        CliChecks.size(spec, crop);
        CliChecks.atLeast(spec, "--resize", resize, 1);
        CliChecks.atLeast(spec, "--batch", batch, 1);
        Pooling p;
        try {
            p = Pooling.parse(pooling);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--pooling: " + e.getMessage());
        }
        OutputPaths.checkFile(spec, "--out", out, true);
        if (whiten != null) {
            CliChecks.atLeast(spec, "--whiten", whiten, 1);
        }
        Map<String, String> settings = DescriptorModel.settings(model, node, p, resize, crop, weights);
        if (whiten != null) {
            settings.put(IndexWhitening.DIMS, Integer.toString(whiten));
        }
        settings.put(DescriptorModel.DIR, dir.toAbsolutePath().normalize().toString());
        settings.put(DIR_AS_GIVEN, dir.toString());
        DescriptorIndex index = null;
        if (Files.exists(out)) {
            index = DescriptorIndex.load(out);
            String recordedDir = index.settings().get(DescriptorModel.DIR);
            if (recordedDir == null) {
                throw new IllegalArgumentException("--out " + out + " is a descriptor index that `fx index` did not"
                        + " make (it records no directory); name another --out");
            }
            if (!settings.get(DescriptorModel.DIR).equals(recordedDir)) {
                throw new IllegalArgumentException("--out " + out + " indexes " + recordedDir + ", not " + dir
                        + "; name another --out");
            }
            Map<String, String> recorded = new TreeMap<>(index.settings());
            recorded.remove(DIR_AS_GIVEN);
            recorded.remove(IndexWhitening.SHA256);
            Map<String, String> wanted = new TreeMap<>(settings);
            wanted.remove(DIR_AS_GIVEN);
            String diff = DescriptorModel.difference(recorded, wanted);
            if (diff != null) {
                throw new IllegalArgumentException("--out " + out + " was made with other settings (" + diff
                        + "); resume with the same flags or name another --out");
            }
        }
        String prefix = index == null ? dir.toString() : index.settings().get(DIR_AS_GIVEN);
        List<Path> files = ImageFiles.under(dir);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no images (" + String.join(", ", new TreeSet<>(
                    ImageFiles.EXTENSIONS)) + ") under " + dir);
        }
        List<Path> todo = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        Set<String> present = new HashSet<>();
        int changed = 0;
        for (Path f : files) {
            String id = Path.of(prefix).resolve(f).toString();
            present.add(id);
            if (index != null && index.contains(id) && !index.stamp(id).equals(stamp(dir.resolve(f)))) {
                index.remove(id); // replaced since it was described: describe it again
                changed++;
            }
            if (index == null || !index.contains(id)) {
                todo.add(dir.resolve(f));
                ids.add(id);
            }
        }
        PrintWriter w = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long gone = index == null ? 0 : index.ids().stream().filter(id -> !present.contains(id)).count();
        if (gone > 0) {
            err.println("fx: warning: " + gone + " indexed image(s) are no longer under " + dir + "; they stay in "
                    + out + " (index again under another --out to drop them)");
            err.flush();
        }
        if (whiten != null && files.size() + gone <= whiten) {
            throw new ParameterException(spec.commandLine(), "--whiten " + whiten + " needs more than " + whiten
                    + " images; " + dir + " has " + files.size() + (gone > 0 ? " (and the index " + gone + " more)" : ""));
        }
        if (todo.isEmpty() && (whiten == null || index.settings().containsKey(IndexWhitening.SHA256))) {
            w.println("# " + out + " already holds all " + files.size() + " images under " + dir);
            w.flush();
            return 0;
        }
        if (index != null) {
            // the whitening no longer fits the index until it is learned again at the end of this run
            index.removeSetting(IndexWhitening.SHA256);
        }
        List<String> unreadable = new ArrayList<>();
        int added = 0;
        long start;
        long elapsed;
        try (DescriptorModel describer = DescriptorModel.open(settings, catalog, "the settings", false);
                Predictor<Image, float[]> predictor = describer.newPredictor()) {
            w.println("# " + describer.describe() + ", " + describer.weightsOrigin() + "; " + todo.size() + " of "
                    + files.size() + " images to describe" + (index == null ? "" : " (resuming " + out
                    + (changed > 0 ? "; " + changed + " changed since they were described" : "") + ")"));
            w.flush();
            ExecutorService decoder = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "fx-index-decoder");
                t.setDaemon(true);
                return t;
            });
            start = System.nanoTime();
            long lastSave = start;
            try (ProgressBar bar = progressBar(todo.size(), err)) {
                Future<Decoded> next = decoder.submit(() -> decode(todo, ids, 0, batch));
                for (int from = 0; from < todo.size(); from += batch) {
                    Decoded d = get(next);
                    int following = from + batch;
                    if (following < todo.size()) {
                        next = decoder.submit(() -> decode(todo, ids, following, batch));
                    }
                    unreadable.addAll(d.unreadable);
                    if (!d.images.isEmpty()) {
                        List<float[]> descriptors = predictor.batchPredict(d.images);
                        for (int i = 0; i < descriptors.size(); i++) {
                            for (float v : descriptors.get(i)) {
                                if (!Float.isFinite(v)) {
                                    throw new IllegalArgumentException("the descriptor of " + d.ids.get(i) + " is not"
                                            + " finite (" + v + "): --pooling " + pooling + " overflows float32 on"
                                            + " this node's values; choose a smaller GeM p, avg or max");
                                }
                            }
                        }
                        if (index == null) {
                            index = new DescriptorIndex(descriptors.get(0).length);
                            for (Map.Entry<String, String> e : settings.entrySet()) {
                                index.putSetting(e.getKey(), e.getValue());
                            }
                        }
                        for (int i = 0; i < descriptors.size(); i++) {
                            index.add(d.ids.get(i), descriptors.get(i), d.stamps.get(i));
                        }
                        added += descriptors.size();
                    }
                    bar.stepBy(d.images.size() + d.unreadable.size());
                    if (System.nanoTime() - lastSave > SAVE_EVERY_NANOS && index != null) {
                        index.save(out);
                        lastSave = System.nanoTime();
                    }
                }
            } finally {
                decoder.shutdownNow();
                if (index != null) {
                    index.save(out); // what was described so far survives a failure: run again to resume
                }
            }
            elapsed = System.nanoTime() - start;
        }
        if (!unreadable.isEmpty()) {
            err.println("fx: warning: skipped " + unreadable.size() + " unreadable image(s): "
                    + String.join(", ", unreadable));
            err.flush();
        }
        if (index == null) {
            throw new IllegalArgumentException("none of the " + todo.size() + " images under " + dir
                    + " could be read; nothing was written");
        }
        if (whiten != null) {
            IndexWhitening.fitAndSave(index, out, whiten);
            index.save(out);
            w.println("# learned a PCA whitening to " + whiten + " dimensions from " + index.size() + " descriptors: "
                    + IndexWhitening.fileOf(out));
        }
        double seconds = elapsed / 1e9;
        w.println(String.format(Locale.ROOT, "# wrote %s: %d images (%d new) in %.1f s, %.1f descriptors/s at batch %d,"
                + " dimension %d", out, index.size(), added, seconds, added / seconds, batch, index.dimension()));
        w.flush();
        return 0;
    }

    /** A batch of decoded images with their identifiers, and the files that could not be read. */
    private record Decoded(List<Image> images, List<String> ids, List<String> stamps, List<String> unreadable) {}

    private static Decoded decode(List<Path> files, List<String> ids, int from, int count) {
        List<Image> images = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<String> stamps = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        for (int i = from; i < Math.min(from + count, files.size()); i++) {
            try {
                String stamp = stamp(files.get(i)); // before reading: a file replaced meanwhile is read again later
                images.add(ImageFiles.read(files.get(i)));
                kept.add(ids.get(i));
                stamps.add(stamp);
            } catch (IOException | RuntimeException e) {
                bad.add(ids.get(i));
            }
        }
        return new Decoded(images, kept, stamps, bad);
    }

    /** A file's size and modification time, which a replaced file almost always changes. */
    private static String stamp(Path file) throws IOException {
        return Files.size(file) + ":" + Files.getLastModifiedTime(file).toMillis();
    }

    private static Decoded get(Future<Decoded> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("decoding images failed: " + e.getCause(), e.getCause());
        }
    }

    private static ProgressBar progressBar(int total, PrintWriter err) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName("describing").setInitialMax(total).setUnit(" img", 1)
                .showSpeed();
        if (System.console() != null) {
            b.setConsumer(new ConsoleProgressBarConsumer(System.err));
        } else {
            // not a terminal (a log, a test): a plain line every 10 seconds
            b.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(10_000).setConsumer(new DelegatingProgressBarConsumer(line -> {
                err.println(line.strip());
                err.flush();
            }));
        }
        return b.build();
    }
}
