package org.fx4j.examples.cli;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.fx4j.descriptors.Pooling;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.ReturnNodes;
import org.fx4j.fx.TraceOptions;
import org.fx4j.inference.DescriptorTranslator;
import org.fx4j.inference.ExtractorModels;
import org.fx4j.inference.ImageClassificationPreprocessing;
import org.fx4j.nn.Module;

/**
 * How {@code fx index} turns images into descriptors (model, node, pooling, weights, preprocessing),
 * recorded in the index's settings so that {@code fx search} makes its query the same way, and the
 * DJL model that does it.
 */
final class DescriptorModel implements AutoCloseable {

    static final String DIR = "dir";
    static final String MODEL = "model";
    static final String NODE = "node";
    static final String POOLING = "pooling";
    static final String RESIZE = "resize";
    static final String CROP = "crop";
    static final String WEIGHTS = "weights";
    static final String WEIGHTS_SHA256 = "weights.sha256";
    static final String KEY = "weights.key";
    static final String PREFIX = "weights.prefix";

    private final Map<String, String> settings;
    private final NDManager manager;
    private final ZooModel<Image, float[]> zoo;
    private final String weightsOrigin;

    private DescriptorModel(Map<String, String> settings, NDManager manager, ZooModel<Image, float[]> zoo,
            String weightsOrigin) {
        this.settings = settings;
        this.manager = manager;
        this.zoo = zoo;
        this.weightsOrigin = weightsOrigin;
    }

    /**
     * The settings of a new index.
     *
     * @param model a catalog name
     * @param node the node to pool
     * @param pooling the pooling
     * @param resize the shorter side after resizing
     * @param crop the centre crop
     * @param weights the weight options ({@code --weights} may be null: random initialisation)
     * @return the settings, weights as an absolute path with its SHA-256
     * @throws IOException if the weights file cannot be read
     */
    static Map<String, String> settings(String model, String node, Pooling pooling, int resize, int crop,
            WeightsOptions weights) throws IOException {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(MODEL, model);
        s.put(NODE, node);
        s.put(POOLING, pooling.toString());
        s.put(RESIZE, Integer.toString(resize));
        s.put(CROP, Integer.toString(crop));
        if (weights.weights != null) {
            Path file = weights.weights.toAbsolutePath().normalize();
            s.put(WEIGHTS, file.toString());
            s.put(WEIGHTS_SHA256, sha256(file));
            if (weights.key != null) {
                s.put(KEY, weights.key);
            }
            if (weights.prefix != null) {
                s.put(PREFIX, weights.prefix);
            }
        }
        return s;
    }

    /**
     * Builds the model an index's settings describe: the catalog model with its weights (checked
     * against the recorded SHA-256), traced up to the node, behind a {@link DescriptorTranslator}.
     *
     * @param settings an index's settings
     * @param catalog the known models
     * @param where how errors name the settings' origin, e.g. the index file
     * @param checkWeights whether to read the weights once more to check their SHA-256 (not for
     *     settings {@link #settings} has just made from the same file)
     * @return the model; close it when done
     * @throws IOException if the weights cannot be read or have changed since indexing
     * @throws IllegalArgumentException naming the setting if one is missing or wrong
     */
    static DescriptorModel open(Map<String, String> settings, ModelCatalog catalog, String where, boolean checkWeights)
            throws IOException {
        String model = required(settings, MODEL, where);
        String node = required(settings, NODE, where);
        Pooling pooling = Pooling.parse(required(settings, POOLING, where));
        int resize = Integer.parseInt(required(settings, RESIZE, where));
        int crop = Integer.parseInt(required(settings, CROP, where));
        WeightsOptions weights = new WeightsOptions();
        if (settings.containsKey(WEIGHTS)) {
            weights.weights = Path.of(settings.get(WEIGHTS));
            weights.key = settings.get(KEY);
            weights.prefix = settings.get(PREFIX);
            String now = checkWeights ? sha256(weights.weights) : settings.get(WEIGHTS_SHA256);
            if (!now.equals(settings.get(WEIGHTS_SHA256))) {
                throw new IOException("the weights " + weights.weights + " changed since " + where + " was made"
                        + " (SHA-256 " + now + ", recorded " + settings.get(WEIGHTS_SHA256) + "); index again");
            }
        }
        Module net = catalog.create(model);
        List<String> nodes = List.of(node);
        FeatureExtractor extractor;
        try {
            extractor = FeatureExtraction.createFeatureExtractor(net, ReturnNodes.of(nodes),
                    TraceOptions.builder().suppressDiffWarning(true).build());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (see `fx nodes " + model + "`)", e);
        }
        NDManager manager = NDManager.newBaseManager();
        try {
            String origin = weights.apply(net, manager);
            extractor.eval();
            DescriptorTranslator translator = new DescriptorTranslator(extractor, node, pooling,
                    ImageClassificationPreprocessing.imagenet(resize, crop));
            ZooModel<Image, float[]> zoo = ExtractorModels.load(extractor, translator, Image.class, float[].class);
            return new DescriptorModel(Map.copyOf(settings), manager, zoo, origin);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** @return a new predictor (one per thread) */
    Predictor<Image, float[]> newPredictor() {
        return zoo.newPredictor();
    }

    /** @return a one-line description of the weights */
    String weightsOrigin() {
        return weightsOrigin;
    }

    /** @return e.g. {@code resnet50 layer3 gem:3.0 (resize 256, crop 224)} */
    String describe() {
        return settings.get(MODEL) + " " + settings.get(NODE) + " " + settings.get(POOLING) + " (resize "
                + settings.get(RESIZE) + ", crop " + settings.get(CROP) + ")";
    }

    /**
     * Compares the settings an index records with the ones asked for now (the indexed directory,
     * {@code dir}, is compared by the caller).
     *
     * @param recorded the index's settings
     * @param wanted the settings now
     * @return the first differing setting, said in words, or null if none differs
     */
    static String difference(Map<String, String> recorded, Map<String, String> wanted) {
        for (String key : union(recorded, wanted)) {
            String a = recorded.get(key);
            String b = wanted.get(key);
            if (a == null ? b != null : !a.equals(b)) {
                return key + " is " + (a == null ? "unset" : "'" + a + "'") + " in the index, "
                        + (b == null ? "unset" : "'" + b + "'") + " now";
            }
        }
        return null;
    }

    private static List<String> union(Map<String, String> a, Map<String, String> b) {
        TreeSet<String> keys = new TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        keys.remove(DIR);
        return List.copyOf(keys);
    }

    private static String required(Map<String, String> settings, String key, String where) {
        String v = settings.get(key);
        if (v == null) {
            throw new IllegalArgumentException(where + " does not record its '" + key + "' setting; it was not made"
                    + " by `fx index`");
        }
        return v;
    }

    /**
     * The SHA-256 of a file, in hex.
     *
     * @throws IOException naming the file if it cannot be read
     */
    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (NoSuchFileException e) {
            throw new IOException("the weights file " + file + " does not exist", e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        zoo.close();
        manager.close();
    }
}
