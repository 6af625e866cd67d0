package org.fx4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1-3) of little-endian arrays (read
 * in C or Fortran order, written in C order): float16/32/64 (float64 is read as float32), int8/32/64, uint8 and bool,
 * little- or big-endian (big-endian data are byte-swapped on reading), and int16/uint16, widened exactly to int32
 * (DJL has no 16-bit integer arrays).
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final java.util.Map<String, DataType> READ_TYPES = java.util.Map.of(
            "<f4", DataType.FLOAT32,
            "<f8", DataType.FLOAT64,
            "<f2", DataType.FLOAT16,
            "<i8", DataType.INT64,
            "<i4", DataType.INT32,
            "|i1", DataType.INT8,
            "|u1", DataType.UINT8,
            "|b1", DataType.BOOLEAN);
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** 16-bit integer types, widened to int32 on reading. */
    private static final java.util.Set<String> INT16 = java.util.Set.of("i2", "u2");
    /** NumPy's own bound on a header it reads (numpy.lib.format.read_array_header's max_header_size). */
    public static final int MAX_HEADER = 10_000;

    private Npy() {}

    /**
     * Reads a {@code .npy} file.
     *
     * @param file the file
     * @param manager the manager that will own the array
     * @return the array (float64 is converted to float32)
     * @throws IOException naming the file and the problem if it cannot be read
     */
    public static NDArray read(Path file, NDManager manager) throws IOException {
        return read(file, manager, false);
    }

    /**
     * Reads a {@code .npy} file, float64 kept as float64 if asked (for float64 models and references).
     *
     * @param file the file
     * @param manager the manager that will own the array
     * @param keepFloat64 true to keep float64 data as float64; false to convert it to float32
     * @return the array
     * @throws IOException naming the file and the problem if it cannot be read
     */
    public static NDArray read(Path file, NDManager manager, boolean keepFloat64) throws IOException {
        InputFiles.requireRegularFile(file);
        if (Files.size(file) > Integer.MAX_VALUE - 16) {
            throw new IOException("Cannot read '" + file + "': it holds " + Files.size(file) + " bytes; fx4j reads"
                    + " .npy files of up to 2 GiB");
        }
        byte[] bytes = Files.readAllBytes(file);
        return read(bytes, file.toString(), manager, keepFloat64);
    }

    /**
     * Reads a {@code .npy} image held in memory (an entry of an {@code .npz} archive, say).
     *
     * @param bytes the file's bytes
     * @param file the name used in error messages
     * @param manager the manager that will own the array
     * @return the array (float64 is converted to float32)
     * @throws IOException naming the file and the problem if it cannot be read
     */
    public static NDArray read(byte[] bytes, String file, NDManager manager) throws IOException {
        return read(bytes, file, manager, false);
    }

    /**
     * Reads a {@code .npy} image held in memory, float64 kept as float64 if asked.
     *
     * @param bytes the file's bytes
     * @param file the name used in error messages
     * @param manager the manager that will own the array
     * @param keepFloat64 true to keep float64 data as float64; false to convert it to float32
     * @return the array
     * @throws IOException naming the file and the problem if it cannot be read
     */
    public static NDArray read(byte[] bytes, String file, NDManager manager, boolean keepFloat64) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        Header h = readHeader(all, file);
        if (bytes.length - h.dataOffset() != h.dataBytes()) {
            throw new IOException("'" + file + "' is truncated or corrupt: shape " + h.shape() + " of " + h.descr
                    + " needs " + h.dataBytes() + " bytes of data, found " + (bytes.length - h.dataOffset()));
        }
        if (h.arrayBytes() > Integer.MAX_VALUE) {
            throw new IOException("'" + file + "' holds " + h.arrayBytes() + " bytes once widened to int32; fx4j reads"
                    + " arrays of up to 2 GiB");
        }
        try {
            ByteBuffer data = ByteBuffer.allocateDirect((int) h.dataBytes()).order(ByteOrder.nativeOrder());
            data.put(ByteBuffer.wrap(bytes, (int) h.dataOffset(), (int) h.dataBytes()).slice());
            data.rewind();
            return fromData(data, h, manager, keepFloat64);
        } catch (OutOfMemoryError e) {
            throw new IOException("'" + file + "' needs " + h.arrayBytes() + " bytes of direct memory, which the JVM"
                    + " cannot give; raise -XX:MaxDirectMemorySize or -Xmx", e);
        }
    }

    /** What a {@code .npy} header declares: element type, shape, order, and where the data starts. */
    public static final class Header {
        private final String descr;
        private final DataType type;
        private final Shape shape;
        private final boolean fortran;
        private final long dataOffset;
        private final long dataBytes;
        private final int itemSize;
        private final boolean bigEndian;
        private final boolean unsigned16;

        private Header(String descr, DataType type, Shape shape, boolean fortran, long dataOffset, long dataBytes,
                int itemSize, boolean bigEndian, boolean unsigned16) {
            this.itemSize = itemSize;
            this.bigEndian = bigEndian;
            this.unsigned16 = unsigned16;
            this.descr = descr;
            this.type = type;
            this.shape = shape;
            this.fortran = fortran;
            this.dataOffset = dataOffset;
            this.dataBytes = dataBytes;
        }

        /**
         * Returns the element type of the array reading makes (int16/uint16 are widened to int32).
         *
         * @return the type
         */
        public DataType type() {
            return type;
        }

        /**
         * Returns whether reading widens the stored type (int16/uint16 to int32).
         *
         * @return true for 16-bit integers
         */
        public boolean widened() {
            return itemSize != type.getNumOfBytes();
        }

        /**
         * Returns the bytes of the array reading makes (after widening).
         *
         * @return numel times the array type's size
         */
        public long arrayBytes() {
            return shape.size() * type.getNumOfBytes();
        }

        /**
         * Returns the NumPy type string, e.g. {@code <f8}.
         *
         * @return the descr
         */
        public String descr() {
            return descr;
        }

        /**
         * Returns the shape.
         *
         * @return the shape
         */
        public Shape shape() {
            return shape;
        }

        /**
         * Returns where the data starts (bytes from the start of the file).
         *
         * @return the offset
         */
        public long dataOffset() {
            return dataOffset;
        }

        /**
         * Returns the bytes of data the shape and type declare.
         *
         * @return the byte count
         */
        public long dataBytes() {
            return dataBytes;
        }
    }

    /**
     * Reads and checks a {@code .npy} header from the start of a buffer: the magic, the version, a header
     * length inside the buffer, a known little-endian type, a shape of non-negative integers whose byte
     * count does not overflow. The data are not read.
     *
     * @param file the start of the file (at least the header)
     * @param name the name used in error messages
     * @return the header
     * @throws IOException naming the file and what is wrong
     */
    public static Header readHeader(ByteBuffer file, String name) throws IOException {
        ByteBuffer bb = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = bb.remaining();
        byte[] head = new byte[Math.min(n, MAGIC.length)];
        bb.duplicate().get(head);
        if (n < 10 || !startsWithMagic(head)) {
            throw new IOException("'" + name + "' is not a .npy file (missing the \\x93NUMPY magic)");
        }
        int base = bb.position();
        int major = bb.get(base + 6);
        long headerLength;
        int offset;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(bb.getShort(base + 8));
            offset = 10;
        } else if ((major == 2 || major == 3) && n >= 12) {
            headerLength = Integer.toUnsignedLong(bb.getInt(base + 8));
            offset = 12;
        } else {
            throw new IOException("'" + name + "' has unsupported .npy format version " + major);
        }
        if (headerLength > MAX_HEADER) {
            throw new IOException("'" + name + "' has a .npy header of " + headerLength + " bytes; NumPy reads at most "
                    + MAX_HEADER + " (read_array_header's max_header_size)");
        }
        if (headerLength > n - offset) {
            throw new IOException("'" + name + "' is truncated or corrupt: its header declares " + headerLength
                    + " bytes, " + (n - offset) + " follow");
        }
        byte[] text = new byte[(int) headerLength];
        ByteBuffer h = bb.duplicate();
        h.position(base + offset);
        h.get(text);
        String header = new String(text, StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, name, "descr");
        boolean fortran = "True".equals(find(FORTRAN, header, name, "fortran_order"));
        boolean bigEndian = descr.startsWith(">");
        String kind = descr.length() == 3 ? descr.substring(1) : "";
        boolean int16 = INT16.contains(kind) && (descr.charAt(0) == '<' || bigEndian);
        DataType type = int16 ? DataType.INT32 : READ_TYPES.get(bigEndian ? "<" + kind : descr);
        if (type == null && (kind.equals("i1") || kind.equals("u1") || kind.equals("b1"))) { // '<u1', '>u1': as '|u1'
            type = READ_TYPES.get("|" + kind);
        }
        if (type == null) {
            throw new IOException("'" + name + "' holds dtype '" + SafeText.of(descr, 40) + "'; supported are float16/32/64,"
                    + " int8/16/32/64, uint8/16 and bool, little- or big-endian");
        }
        int itemSize = int16 ? 2 : type.getNumOfBytes();
        Shape shape = parseShape(find(SHAPE, header, name, "shape"), name);
        long bytes;
        try {
            long product = 1;
            for (long d : shape.getShape()) {
                product = Math.multiplyExact(product, d);
            }
            bytes = Math.multiplyExact(product, (long) itemSize);
        } catch (ArithmeticException e) {
            throw new IOException("'" + name + "' has shape " + shape + ", whose byte count overflows int64");
        }
        return new Header(descr, type, shape, fortran, offset + headerLength, bytes, itemSize,
                bigEndian && itemSize > 1, int16 && kind.equals("u2"));
    }

    /**
     * Makes an array of a {@code .npy} file's data (exactly {@link Header#dataBytes()} bytes, in the
     * file's byte order: big-endian data are swapped, 16-bit integers widened, into a new buffer of
     * {@link Header#arrayBytes()}, which must be at most 2 GiB).
     *
     * @param data the data (a direct buffer is used without a Java copy)
     * @param h the file's header
     * @param manager the manager that will own the array
     * @param keepFloat64 true to keep float64 data as float64; false to convert it to float32
     * @return the array, owning a native copy
     */
    public static NDArray fromData(ByteBuffer data, Header h, NDManager manager, boolean keepFloat64) {
        Shape shape = h.shape;
        DataType type = h.type;
        if (h.bigEndian || h.itemSize != type.getNumOfBytes()) {
            data = toLittleEndianArrayType(data, h);
        }
        NDArray array;
        if (shape.size() == 0) {
            array = manager.create(shape, type);
        } else if (h.fortran && shape.dimension() > 1) {
            long[] reversed = shape.getShape().clone();
            for (int i = 0; i < reversed.length / 2; i++) {
                long t = reversed[i];
                reversed[i] = reversed[reversed.length - 1 - i];
                reversed[reversed.length - 1 - i] = t;
            }
            try (NDArray columnMajor = manager.create(data, new Shape(reversed), type);
                    NDArray view = columnMajor.transpose()) {
                array = view.duplicate();
            }
        } else {
            try (NDArray view = manager.create(data, shape, type)) {
                array = view.duplicate();
            }
        }
        if (type == DataType.FLOAT64 && !keepFloat64) {
            NDArray f = array.toType(DataType.FLOAT32, false);
            array.close();
            return f;
        }
        return array;
    }

    /** Byte-swaps big-endian data and widens 16-bit integers to int32, into a new direct buffer. */
    private static ByteBuffer toLittleEndianArrayType(ByteBuffer data, Header h) {
        long numel = h.shape.size();
        long outBytes = numel * h.type.getNumOfBytes();
        if (outBytes > Integer.MAX_VALUE) { // callers check arrayBytes() first, naming the file
            throw new IllegalStateException(".npy data of " + outBytes + " bytes after conversion");
        }
        ByteBuffer in = data.duplicate().order(h.bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect((int) outBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < numel; i++) {
            if (h.itemSize == 2 && h.type == DataType.INT32) {
                short v = in.getShort();
                out.putInt(h.unsigned16 ? v & 0xffff : v);
            } else if (h.itemSize == 2) {
                out.putShort(in.getShort());
            } else if (h.itemSize == 4) {
                out.putInt(in.getInt());
            } else {
                out.putLong(in.getLong());
            }
        }
        out.flip();
        return out;
    }

    /**
     * Writes an array as a version-1 {@code .npy} file in C order (float32, float64, int64 or
     * int32).
     *
     * @param file the file (parent directories must exist)
     * @param array the array
     * @throws IOException if it cannot be written
     */
    public static void write(Path file, NDArray array) throws IOException {
        String descr;
        switch (array.getDataType()) {
            case FLOAT32:
                descr = "<f4";
                break;
            case FLOAT64:
                descr = "<f8";
                break;
            case INT64:
                descr = "<i8";
                break;
            case INT32:
                descr = "<i4";
                break;
            default:
                throw new IllegalArgumentException(
                        "Cannot write " + array.getDataType() + " to .npy; convert to float32 first");
        }
        long[] dims = array.getShape().getShape();
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            shape.append(dims[i]);
            if (dims.length == 1 || i < dims.length - 1) {
                shape.append(", ");
            }
        }
        shape.append(')');
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape.toString().replace(", )", ",)") + ", }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer data = array.toByteBuffer();
        byte[] payload = new byte[data.remaining()];
        data.get(payload);
        if (data.order() != ByteOrder.LITTLE_ENDIAN && ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("Writing .npy on big-endian machines is not supported");
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(MAGIC);
            out.write(new byte[] {1, 0});
            int len = header.length();
            out.write(new byte[] {(byte) (len & 0xff), (byte) ((len >> 8) & 0xff)});
            out.write(header.getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
        }
    }

    /**
     * Returns whether a stream starts with the {@code .npy} magic (and consumes those bytes).
     *
     * @param in the stream
     * @return true for NumPy files
     * @throws IOException if reading fails
     */
    public static boolean hasMagic(InputStream in) throws IOException {
        byte[] head = in.readNBytes(MAGIC.length);
        return startsWithMagic(head);
    }

    private static boolean startsWithMagic(byte[] bytes) {
        if (bytes.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static String find(Pattern p, String header, String file, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException("'" + file + "' has a corrupt .npy header: no '" + key + "' in "
                    + SafeText.of(header.trim(), 200));
        }
        return m.group(1);
    }

    private static Shape parseShape(String s, String name) throws IOException {
        String body = s.trim();
        if (body.isEmpty()) {
            return new Shape();
        }
        String[] parts = body.split(",", -1);
        if (parts.length > 65) {
            throw new IOException("'" + name + "' has a .npy shape of more than 64 dimensions");
        }
        int n = 0;
        long[] dims = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            if (p.isEmpty() && i == parts.length - 1 && i > 0) {
                continue; // the trailing comma of a 1-tuple, (3,)
            }
            if (!p.matches("[0-9]+")) {
                throw new IOException("'" + name + "' has a corrupt .npy header: shape (" + SafeText.of(s, 100)
                        + ") holds '" + SafeText.of(p, 40) + "', not a non-negative integer");
            }
            try {
                dims[n++] = Long.parseLong(p);
            } catch (NumberFormatException e) {
                throw new IOException("'" + name + "' has a corrupt .npy header: shape entry " + SafeText.of(p, 40)
                        + " exceeds int64");
            }
        }
        long[] out = new long[n];
        System.arraycopy(dims, 0, out, 0, n);
        return new Shape(out);
    }
}
