package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.fx4j.io.Npy;

/**
 * Reads NumPy {@code .npz} archives ({@code numpy.savez}, stored or deflated): one tensor per
 * {@code .npy} entry, in the entry's type (float64 stays float64, as in torch.save files; loading
 * converts to the model's types). Every entry's header is read and checked against the entry's
 * declared size before any data is: a deflated entry may declare at most {@value #MAX_DEFLATE_RATIO}
 * times its compressed size (deflate's own limit is about 1032), and must inflate to exactly that
 * size with the declared CRC.
 */
final class NpzReader {

    /** The most bytes one compressed byte may declare (deflate cannot exceed about 1032). */
    static final long MAX_DEFLATE_RATIO = 1100;
    private static final int METHOD_STORED = 0;
    private static final int METHOD_DEFLATED = 8;
    /** Enough inflated bytes to hold any .npy header NumPy reads. */
    private static final int HEADER_PEEK = Npy.MAX_HEADER + 12;

    private NpzReader() {}

    static TensorIndex read(ZipDirectory zip, String source, CheckpointOptions options) throws IOException {
        Map<String, LazyTensor> tensors = new LinkedHashMap<>();
        for (ZipDirectory.Entry e : zip.entries().values()) {
            if (e.name.endsWith("/") || !e.name.endsWith(".npy")) {
                continue;
            }
            // Messages name the entry as '<file>:<entry>' (source is the file's name in quotes).
            String entry = "'" + source.substring(1, source.length() - 1) + ":" + BoundedText.name(e.name) + "'";
            String npyName = entry.substring(1, entry.length() - 1);
            zip.checkInside(e, e.compressedSize);
            ByteBuffer head;
            if (e.method == METHOD_STORED) {
                head = zip.map(e);
            } else if (e.method == METHOD_DEFLATED) {
                if (e.size > Math.max(1024, e.compressedSize) * MAX_DEFLATE_RATIO) {
                    throw new CheckpointException(entry + " is corrupt: it declares " + e.size + " bytes from "
                            + e.compressedSize + " compressed ones, more than deflate can give");
                }
                head = inflate(zip.channel(), e, Math.min(e.size, HEADER_PEEK), entry, false);
            } else {
                throw new CheckpointException(entry + " is compressed with zip method " + e.method
                        + "; numpy.savez writes stored (0) or deflated (8) entries");
            }
            Npy.Header header;
            try {
                header = Npy.readHeader(head, npyName);
            } catch (CheckpointException x) {
                throw x;
            } catch (IOException x) {
                throw new CheckpointException(x.getMessage(), x);
            }
            if (e.size - header.dataOffset() != header.dataBytes()) {
                throw new CheckpointException(entry + " is truncated or corrupt: its header declares shape "
                        + header.shape() + " of " + header.descr() + " (" + header.dataBytes() + " bytes), the entry"
                        + " holds " + (e.size - header.dataOffset()) + " bytes of data");
            }
            String key = e.name.substring(0, e.name.length() - 4);
            tensors.put(key, new NpyTensor(zip, e, header, head, entry));
        }
        if (tensors.isEmpty()) {
            throw new CheckpointException(source + " is a zip file with no .npy entries: not an .npz checkpoint");
        }
        return new TensorIndex(TorchCheckpointReader.stripPrefix(tensors, options, source), source + " (npz)");
    }

    /**
     * Inflates an entry's first {@code length} bytes (all of them, checked against its size and CRC,
     * when {@code whole}).
     */
    private static ByteBuffer inflate(FileChannel channel, ZipDirectory.Entry e, long length, String entry,
            boolean whole) throws IOException {
        ByteBuffer out = whole ? Tensors.allocateDirect(length, entry)
                : ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
        Inflater inflater = new Inflater(true);
        CRC32 crc = new CRC32();
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        long position = e.dataOffset;
        long left = e.compressedSize;
        try {
            while (out.hasRemaining()) {
                if (inflater.needsInput()) {
                    if (left == 0) {
                        break;
                    }
                    in.clear();
                    in.limit((int) Math.min(in.capacity(), left));
                    int n = channel.read(in, position);
                    if (n <= 0) {
                        throw new CheckpointException(entry + " is truncated");
                    }
                    position += n;
                    left -= n;
                    in.flip();
                    inflater.setInput(in);
                }
                int before = out.position();
                int n = inflater.inflate(out);
                if (whole) {
                    crc.update(out.duplicate().position(before).limit(out.position()));
                }
                if (n == 0 && (inflater.finished() || inflater.needsDictionary())) {
                    break;
                }
            }
            if (whole) {
                boolean more = !inflater.finished() && inflater.inflate(new byte[1]) > 0;
                if (out.hasRemaining() || more) {
                    throw new CheckpointException(entry + " is corrupt: it declares " + e.size + " bytes but inflates"
                            + " to " + (more ? "more" : String.valueOf(out.position())));
                }
                if ((int) crc.getValue() != e.crc) {
                    throw new CheckpointException(entry + " is corrupt: its CRC-32 does not match");
                }
            } else if (out.hasRemaining()) {
                throw new CheckpointException(entry + " is corrupt: it declares " + e.size + " bytes but inflates to "
                        + out.position());
            }
        } catch (DataFormatException x) {
            throw new CheckpointException(entry + " is corrupt: bad deflate data (" + x.getMessage() + ")", x);
        } finally {
            inflater.end();
        }
        out.flip();
        return out;
    }

    /** A .npy entry, read when asked. */
    private static final class NpyTensor implements LazyTensor {
        private final ZipDirectory zip;
        private final ZipDirectory.Entry entry;
        private final Npy.Header header;
        private final ByteBuffer stored;
        private final String name;

        NpyTensor(ZipDirectory zip, ZipDirectory.Entry entry, Npy.Header header, ByteBuffer head, String name) {
            this.zip = zip;
            this.entry = entry;
            this.header = header;
            this.stored = entry.method == METHOD_STORED ? head : null;
            this.name = name;
        }

        @Override
        public Shape shape() {
            return header.shape();
        }

        @Override
        public DataType storedType() {
            return header.widened() ? DataType.INT16 : header.type(); // <u2 too: its name tells it apart
        }

        @Override
        public DataType arrayType() {
            return header.type();
        }

        @Override
        public String storedTypeName() {
            return header.descr();
        }

        @Override
        public NDArray read(NDManager manager, String what) throws IOException {
            ByteBuffer file;
            if (stored != null) {
                CRC32 crc = new CRC32();
                crc.update(stored.duplicate());
                if ((int) crc.getValue() != entry.crc) {
                    throw new CheckpointException(name + " is corrupt: its CRC-32 does not match");
                }
                file = stored;
            } else {
                file = inflate(zip.channel(), entry, entry.size, name, true);
            }
            ByteBuffer data = Tensors.slice(file, header.dataOffset(), header.dataBytes());
            try {
                return Npy.fromData(data, header, manager, true);
            } catch (OutOfMemoryError e) {
                throw new CheckpointException(name + " needs " + header.arrayBytes() + " bytes of direct memory, which"
                        + " the JVM cannot give; raise -XX:MaxDirectMemorySize or -Xmx", e);
            }
        }
    }
}
