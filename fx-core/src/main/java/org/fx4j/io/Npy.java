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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1-3) of little-endian arrays (read
 * in C or Fortran order, written in C order): float16/32/64 (float64 is read as float32), int8/32/64, uint8 and bool.
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
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("Cannot read '" + file + "': no such file", e);
        }
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
        if (bytes.length < 10 || !startsWithMagic(bytes)) {
            throw new IOException("'" + file + "' is not a .npy file (missing the \\x93NUMPY magic)");
        }
        int major = bytes[6];
        int headerLength;
        int offset;
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            headerLength = Short.toUnsignedInt(bb.getShort(8));
            offset = 10;
        } else if (major == 2 || major == 3) {
            headerLength = bb.getInt(8);
            offset = 12;
        } else {
            throw new IOException("'" + file + "' has unsupported .npy format version " + major);
        }
        if (offset + headerLength > bytes.length) {
            throw new IOException("'" + file + "' is truncated: its header ends past the end of the file");
        }
        String header = new String(bytes, offset, headerLength, StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, file, "descr");
        boolean fortran = "True".equals(find(FORTRAN, header, file, "fortran_order"));
        Shape shape = parseShape(find(SHAPE, header, file, "shape"));
        DataType type = READ_TYPES.get(descr);
        if (type == null) {
            throw new IOException(
                    "'" + file + "' holds dtype '" + descr + "'; supported are little-endian float16/32/64,"
                            + " int8/32/64, uint8 and bool");
        }
        int itemSize = type.getNumOfBytes();
        int dataStart = offset + headerLength;
        long expected = shape.size() * itemSize;
        if (bytes.length - dataStart != expected) {
            throw new IOException(
                    "'" + file + "' is truncated or corrupt: shape " + shape + " of " + descr + " needs " + expected
                            + " bytes of data, found " + (bytes.length - dataStart));
        }
        ByteBuffer data = ByteBuffer.allocateDirect((int) expected).order(ByteOrder.nativeOrder());
        data.put(ByteBuffer.wrap(bytes, dataStart, (int) expected).order(ByteOrder.LITTLE_ENDIAN).slice());
        data.rewind();
        NDArray array;
        if (fortran && shape.dimension() > 1) {
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
            array = manager.create(data, shape, type);
        }
        if (type == DataType.FLOAT64 && !keepFloat64) {
            NDArray f = array.toType(DataType.FLOAT32, false);
            array.close();
            return f;
        }
        return array;
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
            throw new IOException("'" + file + "' has a corrupt .npy header: no '" + key + "' in " + header.trim());
        }
        return m.group(1);
    }

    private static Shape parseShape(String s) {
        String body = s.trim();
        if (body.isEmpty()) {
            return new Shape();
        }
        String[] parts = body.split(",");
        int n = 0;
        long[] dims = new long[parts.length];
        for (String p : parts) {
            if (!p.trim().isEmpty()) {
                dims[n++] = Long.parseLong(p.trim());
            }
        }
        long[] out = new long[n];
        System.arraycopy(dims, 0, out, 0, n);
        return new Shape(out);
    }
}
