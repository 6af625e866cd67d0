package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fx4j.io.InputFiles;
import org.fx4j.nn.Module;

/**
 * Reads checkpoints (PyTorch {@code torch.save} files in the zip and legacy formats, safetensors,
 * {@code .npz}) and loads them into any fx4j {@link Module} by state-dict key; saves a module's state
 * as safetensors. The format is detected from the file's first bytes. Nothing is downloaded: pass
 * a file.
 *
 * <pre>{@code
 * ResNet model = ResNets.resnet50();
 * Checkpoints.load(model, Path.of("resnet50-0676ba61.pth"), manager);   // strict
 * }</pre>
 */
public final class Checkpoints {

    private static final Map<String, String> METADATA = Map.of("format", "pt", "producer", "fx4j");

    private Checkpoints() {}

    /** The checkpoint formats fx4j reads. */
    public enum Format {
        /** {@code torch.save}, zip format (torch 1.6 and later). */
        TORCH_ZIP,
        /** {@code torch.save}, legacy format ({@code _use_new_zipfile_serialization=False}, torch < 1.6). */
        TORCH_LEGACY,
        /** safetensors. */
        SAFETENSORS,
        /** NumPy {@code .npz}. */
        NPZ
    }

    /**
     * Detects a file's checkpoint format from its first bytes.
     *
     * @param file the file
     * @return the format
     * @throws IOException naming the file if it is none of them
     */
    public static Format detect(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            return detect(ch, file.toString()).format;
        }
    }

    /** A detected format, with the zip directory already read for zip-based formats. */
    private static final class Detected {
        final Format format;
        final ZipDirectory zip;

        Detected(Format format, ZipDirectory zip) {
            this.format = format;
            this.zip = zip;
        }
    }

    private static FileChannel open(Path file) throws IOException {
        try {
            // Refuse directories, devices and FIFOs before opening: opening a FIFO blocks until a writer comes.
            InputFiles.requireRegularFile(file);
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new CheckpointException(m.startsWith("Cannot read") ? m.replaceFirst("Cannot read", "Cannot read checkpoint")
                    : "Cannot read checkpoint '" + file + "': " + m, e);
        }
    }

    private static Detected detect(FileChannel ch, String source) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
            // fill
        }
        int n = head.position();
        if (n >= 4 && head.getInt(0) == 0x04034b50) {
            ZipDirectory dir = new ZipDirectory(ch, "'" + source + "'");
            for (String name : dir.entries().keySet()) {
                if (name.equals("data.pkl") || name.endsWith("/data.pkl")) {
                    return new Detected(Format.TORCH_ZIP, dir);
                }
            }
            return new Detected(Format.NPZ, dir);
        }
        if (n >= 2 && (head.get(0) & 0xff) == 0x80) {
            return new Detected(Format.TORCH_LEGACY, null);
        }
        if (n >= 262 && new String(head.array(), 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar")) {
            throw new CheckpointException("'" + source + "' is a tar archive: the checkpoint format of torch < 0.4,"
                    + " which fx4j does not read; re-save it with a recent torch.save");
        }
        if (n >= 9 && head.getLong(0) > 1 && head.get(8) == '{') {
            return new Detected(Format.SAFETENSORS, null);
        }
        if (n == 0) {
            throw new CheckpointException("'" + source + "' is empty: not a checkpoint");
        }
        throw new CheckpointException("'" + source + "' is not a checkpoint fx4j reads: expected a torch.save file"
                + " (zip or legacy format), safetensors or .npz");
    }

    /**
     * Reads a checkpoint's state dict (found automatically, no prefix stripped).
     *
     * @param file the file
     * @param manager the parent manager of the tensors
     * @return the tensors; close it when done
     * @throws IOException naming the file and what was wrong
     */
    public static StateDict read(Path file, NDManager manager) throws IOException {
        return read(file, manager, CheckpointOptions.defaults());
    }

    /**
     * Reads a checkpoint's state dict.
     *
     * @param file the file
     * @param manager the parent manager of the tensors
     * @param options nesting key and prefix
     * @return the tensors; close it when done
     * @throws IOException naming the file and what was wrong
     */
    public static StateDict read(Path file, NDManager manager, CheckpointOptions options) throws IOException {
        try (FileChannel ch = open(file)) {
            TensorIndex index = index(ch, file, options);
            return index.materialize(index.tensors().keySet(), manager);
        }
    }

    /** Reads and checks a checkpoint's description of its tensors (names, shapes, types, sizes), not their data. */
    private static TensorIndex index(FileChannel ch, Path file, CheckpointOptions options) throws IOException {
        String source = "'" + file + "'";
        Detected detected = detect(ch, file.toString());
        switch (detected.format) {
            case TORCH_ZIP:
                return TorchCheckpointReader.readZip(detected.zip, source, options);
            case TORCH_LEGACY:
                return TorchCheckpointReader.readLegacy(ch, source, options);
            case SAFETENSORS:
                return SafeTensors.read(ch, source, options);
            case NPZ:
            default:
                return NpzReader.read(detected.zip, source, options);
        }
    }

    /**
     * Loads a checkpoint into a model, strictly.
     *
     * @param model the model (initialised or not)
     * @param file the checkpoint
     * @param manager owns newly created parameter arrays (for an uninitialised model)
     * @return the report (clean)
     * @throws IOException listing every missing, unexpected and mis-shaped key, or naming the file's problem;
     *     the model is then left untouched
     */
    public static LoadReport load(Module model, Path file, NDManager manager) throws IOException {
        return load(model, file, manager, CheckpointOptions.defaults());
    }

    /**
     * Loads a checkpoint into a model.
     *
     * @param model the model
     * @param file the checkpoint
     * @param manager owns newly created parameter arrays
     * @param options nesting key, prefix, strictness and the floating type of parameters loading initialises
     * @return what was loaded and what did not match
     * @throws IOException if the file cannot be read or (strict) any key does not match
     */
    public static LoadReport load(Module model, Path file, NDManager manager, CheckpointOptions options)
            throws IOException {
        try (FileChannel ch = open(file)) {
            TensorIndex index = index(ch, file, options);
            // Keys and shapes are checked before any tensor is read: a file that does not fit the model costs
            // no memory, whatever shapes it declares.
            StateDictLoader.Plan plan = StateDictLoader.plan(model, index.shapes());
            plan.check(model, options.strict(), index.source());
            try (StateDict state = index.materialize(new java.util.HashSet<>(plan.matching), manager)) {
                return StateDictLoader.apply(model, plan, state, manager, options.floatingType());
            }
        }
    }

    /**
     * Loads tensors into a model by key. Loaded tensors move from the state dict to the model.
     *
     * @param model the model
     * @param state the tensors
     * @param manager owns newly created parameter arrays
     * @param strict whether any mismatch fails the whole load
     * @return the report
     * @throws CheckpointException (strict) listing every mismatch; nothing is loaded then
     */
    public static LoadReport load(Module model, StateDict state, NDManager manager, boolean strict)
            throws CheckpointException {
        return StateDictLoader.load(model, state, manager, strict, DataType.FLOAT32);
    }

    /**
     * Saves a module's parameters and buffers as safetensors, keyed as its {@code stateDict()}.
     *
     * @param model an initialised module
     * @param file the file to write
     * @throws IOException if writing fails
     */
    public static void saveSafetensors(Module model, Path file) throws IOException {
        saveSafetensors(model, file, Map.of());
    }

    /**
     * Saves a module's parameters and buffers as safetensors with extra string metadata (kept beside
     * fx4j's {@code format} and {@code producer} entries).
     *
     * @param model an initialised module
     * @param file the file to write
     * @param metadata extra metadata (for example a model's configuration)
     * @throws IOException if writing fails
     */
    public static void saveSafetensors(Module model, Path file, Map<String, String> metadata) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            if (!e.getValue().isInitialized()) {
                throw new IllegalStateException("Parameter '" + e.getKey() + "' of " + model.getClass().getSimpleName()
                        + " is not initialised; initialise or load the model before saving it");
            }
            tensors.put(e.getKey(), e.getValue().getArray());
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putAll(METADATA);
        SafeTensors.write(file, tensors, meta);
    }

    /**
     * Converts any readable checkpoint to safetensors (the state dict only). The output depends only
     * on the input: the same file always gives the same bytes.
     *
     * @param in the checkpoint
     * @param out the safetensors file (written to a temporary file, then moved into place)
     * @param manager a manager for the temporary tensors
     * @param options nesting key and prefix
     * @return the number of tensors written
     * @throws IOException if reading or writing fails
     */
    public static int convertToSafetensors(Path in, Path out, NDManager manager, CheckpointOptions options)
            throws IOException {
        return convert(in, out, manager, options).size();
    }

    /**
     * Converts any readable checkpoint to safetensors, as {@link #convertToSafetensors}, and says which
     * tensors were widened on the way (bfloat16 to F32, int16 to I32: DJL has no arrays of those types).
     *
     * @param in the checkpoint
     * @param out the safetensors file
     * @param manager a manager for the temporary tensors
     * @param options nesting key and prefix
     * @return the number of tensors written and the widened ones
     * @throws IOException if reading or writing fails
     */
    public static Conversion convert(Path in, Path out, NDManager manager, CheckpointOptions options)
            throws IOException {
        try (StateDict state = read(in, manager, options)) {
            SafeTensors.write(out, state.tensors(), METADATA);
            return new Conversion(state.size(), state.widened());
        }
    }

    /** What {@link #convert} wrote: how many tensors, and which were widened from which stored type. */
    public static final class Conversion {
        private final int size;
        private final Map<String, String> widened;

        Conversion(int size, Map<String, String> widened) {
            this.size = size;
            this.widened = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(widened));
        }

        /**
         * Returns the number of tensors written.
         *
         * @return the count
         */
        public int size() {
            return size;
        }

        /**
         * Returns the tensors widened on the way (bfloat16 to F32, int16 to I32), by key, with the type the
         * input stored them in.
         *
         * @return key to stored type name
         */
        public Map<String, String> widened() {
            return widened;
        }
    }
}
