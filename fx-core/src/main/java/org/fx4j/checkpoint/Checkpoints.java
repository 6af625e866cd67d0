package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
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
            if (Files.isDirectory(file)) {
                throw new CheckpointException("Cannot read checkpoint '" + file + "': it is a directory");
            }
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("Cannot read checkpoint '" + file + "': no such file", e);
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
        String source = "'" + file + "'";
        try (FileChannel ch = open(file)) {
            Detected detected = detect(ch, file.toString());
            switch (detected.format) {
                case TORCH_ZIP:
                    return TorchCheckpointReader.readZip(detected.zip, source, manager, options);
                case TORCH_LEGACY:
                    return TorchCheckpointReader.readLegacy(ch, source, manager, options);
                case SAFETENSORS:
                    return SafeTensors.read(ch, source, manager, options);
                case NPZ:
                default:
                    return NpzReader.read(file, source, manager, options);
            }
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
        try (StateDict state = read(file, manager, options)) {
            return StateDictLoader.load(model, state, manager, options.strict(), options.floatingType());
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
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            if (!e.getValue().isInitialized()) {
                throw new IllegalStateException("Parameter '" + e.getKey() + "' of " + model.getClass().getSimpleName()
                        + " is not initialised; initialise or load the model before saving it");
            }
            tensors.put(e.getKey(), e.getValue().getArray());
        }
        SafeTensors.write(file, tensors, Map.of("format", "pt", "producer", "fx4j"));
    }

    /**
     * Converts any readable checkpoint to safetensors (the state dict only).
     *
     * @param in the checkpoint
     * @param out the safetensors file
     * @param manager a manager for the temporary tensors
     * @param options nesting key and prefix
     * @return the number of tensors written
     * @throws IOException if reading or writing fails
     */
    public static int convertToSafetensors(Path in, Path out, NDManager manager, CheckpointOptions options)
            throws IOException {
        try (StateDict state = read(in, manager, options)) {
            SafeTensors.write(out, state.tensors(), Map.of("format", "pt", "producer", "fx4j"));
            return state.size();
        }
    }
}
