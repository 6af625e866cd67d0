package org.fx4j.descriptors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An exact cosine-similarity index over descriptors, for collections small enough to compare a query
 * with every entry (tens of thousands): entries are unit vectors (normalised on {@link #add}), a
 * search returns the {@code k} best scores in descending order (ties in insertion order), and
 * {@link #pairs} lists near-duplicate pairs. Saved in a small binary file (identifiers and float32
 * vectors).
 */
public final class DescriptorIndex {

    private static final String MAGIC = "FX4J-DESCRIPTOR-INDEX";
    private static final int VERSION = 3;
    private static final int MAX_SETTINGS = 256;

    private final int dimension;
    private final List<String> ids = new ArrayList<>();
    private final List<float[]> vectors = new ArrayList<>();
    private final List<String> stamps = new ArrayList<>();
    private final Map<String, Integer> positions = new HashMap<>();
    private final Map<String, String> settings = new TreeMap<>();

    /** A search result: the entry's identifier and its cosine similarity with the query. */
    public record Hit(String id, double score) {}

    /** Two entries whose cosine similarity reaches a threshold ({@code first} was added first). */
    public record Pair(String first, String second, double score) {}

    /**
     * Creates an empty index.
     *
     * @param dimension the descriptors' length
     * @throws IllegalArgumentException if it is not positive
     */
    public DescriptorIndex(int dimension) {
        if (dimension < 1) {
            throw new IllegalArgumentException("descriptor dimension must be positive, got " + dimension);
        }
        this.dimension = dimension;
    }

    /** @return the descriptors' length */
    public int dimension() {
        return dimension;
    }

    /** @return the number of entries */
    public int size() {
        return ids.size();
    }

    /**
     * Records how the descriptors were made (model, node, pooling, weights...), so that a query is
     * made the same way; saved with the index.
     *
     * @param key the setting's name
     * @param value its value
     * @throws IllegalArgumentException if either is null or there are too many settings
     */
    public void putSetting(String key, String value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("an index setting needs a key and a value, got " + key + " = " + value);
        }
        if (!settings.containsKey(key) && settings.size() >= MAX_SETTINGS) {
            throw new IllegalArgumentException("an index holds at most " + MAX_SETTINGS + " settings");
        }
        settings.put(key, value);
    }

    /** @return the recorded settings, sorted by key (unmodifiable) */
    public Map<String, String> settings() {
        return Collections.unmodifiableMap(settings);
    }

    /**
     * Returns an entry's stored descriptor (normalised to unit length on {@link #add}).
     *
     * @param i the entry's position, in insertion order
     * @return a copy of its unit vector
     * @throws IndexOutOfBoundsException if there is no such entry
     */
    public float[] descriptor(int i) {
        return vectors.get(i).clone();
    }

    /** @return the identifiers, in insertion order */
    public List<String> ids() {
        return Collections.unmodifiableList(ids);
    }

    /**
     * Returns whether an identifier is in the index.
     *
     * @param id the identifier
     * @return true if present
     */
    public boolean contains(String id) {
        return positions.containsKey(id);
    }

    /**
     * Adds a descriptor (a normalised copy; the caller's array is not modified).
     *
     * @param id a unique identifier (a file path, say)
     * @param descriptor the descriptor, of {@link #dimension()} finite values
     * @throws IllegalArgumentException for a duplicate identifier, a wrong length, a non-finite value or
     *     a zero vector
     */
    public void add(String id, float[] descriptor) {
        add(id, descriptor, "");
    }

    /**
     * Adds a descriptor with a stamp of its source (for files, {@code fx index} keeps their size and
     * modification time, to describe a replaced file again).
     *
     * @param id a unique identifier
     * @param descriptor the descriptor, of {@link #dimension()} finite values
     * @param stamp any text, saved with the entry
     * @throws IllegalArgumentException as {@link #add(String, float[])}, or for a null stamp
     */
    public void add(String id, float[] descriptor, String stamp) {
        if (stamp == null) {
            throw new IllegalArgumentException("the stamp of '" + id + "' is null; use \"\" for none");
        }
        if (id == null) {
            throw new IllegalArgumentException("a descriptor needs an identifier");
        }
        if (positions.containsKey(id)) {
            throw new IllegalArgumentException("'" + id + "' is already in the index");
        }
        float[] unit = unit(descriptor, "descriptor of '" + id + "'");
        positions.put(id, ids.size());
        ids.add(id);
        vectors.add(unit);
        stamps.add(stamp);
    }

    /**
     * Returns an entry's stamp.
     *
     * @param id an identifier in the index
     * @return its stamp ({@code ""} when added without one)
     * @throws IllegalArgumentException if the identifier is not in the index
     */
    public String stamp(String id) {
        Integer i = positions.get(id);
        if (i == null) {
            throw new IllegalArgumentException("'" + id + "' is not in the index");
        }
        return stamps.get(i);
    }

    /**
     * Removes an entry; later entries keep their order.
     *
     * @param id an identifier
     * @return true if it was in the index
     */
    public boolean remove(String id) {
        Integer i = positions.remove(id);
        if (i == null) {
            return false;
        }
        ids.remove((int) i);
        vectors.remove((int) i);
        stamps.remove((int) i);
        for (int k = i; k < ids.size(); k++) {
            positions.put(ids.get(k), k);
        }
        return true;
    }

    /**
     * Removes a recorded setting.
     *
     * @param key the setting's name
     * @return its value, or null if it was not recorded
     */
    public String removeSetting(String key) {
        return settings.remove(key);
    }

    /**
     * The {@code k} entries most similar to a query.
     *
     * @param query a descriptor of {@link #dimension()} values (normalised here)
     * @param k how many results at most
     * @return the results, best first; fewer when the index is smaller
     * @throws IllegalArgumentException for a bad query or k below 1
     */
    public List<Hit> search(float[] query, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        float[] q = unit(query, "query");
        int n = vectors.size();
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            scores[i] = dot(q, vectors.get(i));
        }
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort((a, b) -> Double.compare(scores[b], scores[a])); // stable: ties keep insertion order
        List<Hit> hits = new ArrayList<>();
        for (int i = 0; i < Math.min(k, n); i++) {
            hits.add(new Hit(ids.get(order.get(i)), scores[order.get(i)]));
        }
        return hits;
    }

    /**
     * Every pair of entries with a cosine similarity of at least {@code threshold}, best first (ties
     * in insertion order of the first, then the second entry).
     *
     * @param threshold the similarity from which two entries count as near-duplicates
     * @return the pairs
     */
    public List<Pair> pairs(double threshold) {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new IllegalArgumentException("a cosine threshold lies in [-1, 1], got " + threshold);
        }
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < vectors.size(); i++) {
            for (int j = i + 1; j < vectors.size(); j++) {
                double s = dot(vectors.get(i), vectors.get(j));
                if (s >= threshold) {
                    out.add(new Pair(ids.get(i), ids.get(j), s));
                }
            }
        }
        out.sort((a, b) -> Double.compare(b.score(), a.score()));
        return out;
    }

    /**
     * Writes the index (to a temporary file, then moved into place).
     *
     * @param file the file
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        TaggedFiles.write(file, MAGIC, VERSION, out -> {
            out.writeInt(dimension);
            out.writeInt(settings.size());
            for (Map.Entry<String, String> e : settings.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            out.writeInt(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                out.writeUTF(ids.get(i));
                out.writeUTF(stamps.get(i));
                for (float v : vectors.get(i)) {
                    out.writeFloat(v);
                }
            }
        });
    }

    /**
     * Reads an index written by {@link #save}.
     *
     * @param file the file
     * @return the index
     * @throws IOException naming the file if it is not an index, is truncated or is inconsistent
     */
    public static DescriptorIndex load(Path file) throws IOException {
        return TaggedFiles.read(file, MAGIC, VERSION, "an fx4j descriptor index (written by `fx index` or"
                + " DescriptorIndex.save)", (in, size) -> {
                    int dimension = in.readInt();
                    int settingCount = in.readInt();
                    if (settingCount < 0 || settingCount > MAX_SETTINGS) {
                        throw new IOException(file + " declares " + settingCount + " settings (at most " + MAX_SETTINGS
                                + ")");
                    }
                    Map<String, String> read = new TreeMap<>();
                    for (int i = 0; i < settingCount; i++) {
                        read.put(in.readUTF(), in.readUTF());
                    }
                    int count = in.readInt();
                    if (dimension < 1 || count < 0 || (long) count * dimension * 4 > size) {
                        throw new IOException(file + " declares " + count + " descriptors of dimension " + dimension
                                + ", more than its " + size + " bytes hold");
                    }
                    DescriptorIndex index = new DescriptorIndex(dimension);
                    index.settings.putAll(read);
                    for (int i = 0; i < count; i++) {
                        String id = in.readUTF();
                        String stamp = in.readUTF();
                        float[] v = new float[dimension];
                        for (int d = 0; d < dimension; d++) {
                            v[d] = in.readFloat();
                        }
                        try {
                            index.add(id, v, stamp);
                        } catch (IllegalArgumentException e) {
                            throw new IOException(file + ": entry " + i + " is invalid: " + e.getMessage(), e);
                        }
                    }
                    return index;
                });
    }

    /** The stored unit vector of entry {@code i} (not a copy: callers in this package only read it). */
    float[] unitVector(int i) {
        return vectors.get(i);
    }

    /** A normalised copy of a query, checked as {@link #search} checks it. */
    float[] normalizedQuery(float[] query) {
        return unit(query, "query");
    }

    static double cosine(float[] a, float[] b) {
        return dot(a, b);
    }

    private float[] unit(float[] v, String what) {
        if (v == null || v.length != dimension) {
            throw new IllegalArgumentException(what + " has " + (v == null ? "no" : Integer.toString(v.length))
                    + " values; the index holds descriptors of dimension " + dimension);
        }
        double sq = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException(what + " has a non-finite value (" + x + ")");
            }
            sq += (double) x * x;
        }
        if (sq == 0) {
            throw new IllegalArgumentException(what + " is the zero vector, which has no direction to compare");
        }
        double norm = Math.sqrt(sq);
        float[] out = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            out[i] = (float) (v[i] / norm);
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
