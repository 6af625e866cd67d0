package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.fx4j.io.Npy;

/**
 * Reads NumPy {@code .npz} archives ({@code numpy.savez}, compressed or not): one tensor per entry,
 * in the entry's type (float64 stays float64, as in torch.save files; loading converts to the
 * model's types).
 */
final class NpzReader {

    private NpzReader() {}

    static StateDict read(Path file, String source, NDManager manager, CheckpointOptions options) throws IOException {
        NDManager owner = manager.newSubManager();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            long bytes = 0;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                bytes += Math.max(0, en.nextElement().getSize());
            }
            Tensors.ensureMemory(bytes, source);
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (e.isDirectory() || !e.getName().endsWith(".npy")) {
                    continue;
                }
                String key = e.getName().substring(0, e.getName().length() - 4);
                byte[] data;
                try (InputStream in = zip.getInputStream(e)) {
                    data = in.readAllBytes();
                }
                NDArray a = Npy.read(data, file + ":" + e.getName(), owner, true);
                a.setName(key);
                tensors.put(key, a);
            }
            if (tensors.isEmpty()) {
                throw new CheckpointException(source + " is a zip file with no .npy entries: not an .npz checkpoint");
            }
            return new StateDict(owner, TorchCheckpointReader.stripPrefix(tensors, options.prefix(), source),
                    source + " (npz)");
        } catch (ZipException e) {
            owner.close();
            throw new CheckpointException(source + " is truncated or corrupt: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            owner.close();
            throw e;
        }
    }
}
