package org.fx4j.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a zip file's central directory (Zip64 included) to locate each entry's data, so that
 * stored (uncompressed) entries, as {@code torch.save} writes them, can be memory-mapped in place.
 */
final class ZipDirectory {

    /** One entry: its name, compression method, sizes and where its data starts. */
    static final class Entry {
        final String name;
        final int method;
        final long compressedSize;
        final long size;
        final long dataOffset;

        Entry(String name, int method, long compressedSize, long size, long dataOffset) {
            this.name = name;
            this.method = method;
            this.compressedSize = compressedSize;
            this.size = size;
            this.dataOffset = dataOffset;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final FileChannel channel;
    private final String source;

    ZipDirectory(FileChannel channel, String source) throws IOException {
        this.channel = channel;
        this.source = source;
        read();
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** Maps a stored entry's bytes (read-only, little-endian). */
    ByteBuffer map(Entry e) throws IOException {
        if (e.method != 0) {
            throw new CheckpointException(source + ": entry '" + e.name + "' is compressed (method " + e.method
                    + "); torch.save writes stored entries, so the file was re-zipped. Unzip and re-zip with -0.");
        }
        if (e.dataOffset + e.size > channel.size()) {
            throw new CheckpointException(source + " is truncated: entry '" + e.name + "' needs " + e.size
                    + " bytes at offset " + e.dataOffset + " but the file has " + channel.size());
        }
        if (e.size > Integer.MAX_VALUE) {
            throw new CheckpointException(source + ": entry '" + e.name + "' is larger than 2 GiB, which one tensor"
                    + " storage of fx4j cannot hold");
        }
        MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, e.dataOffset, e.size);
        b.order(ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    private ByteBuffer read(long position, int length) throws IOException {
        if (position < 0 || position + length > channel.size()) {
            throw new CheckpointException(source + " is truncated or not a zip file (directory points past its end)");
        }
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (channel.read(b, position + b.position()) < 0) {
                throw new CheckpointException(source + " is truncated");
            }
        }
        b.flip();
        return b;
    }

    private void read() throws IOException {
        long size = channel.size();
        int tail = (int) Math.min(size, 65557);
        ByteBuffer end = read(size - tail, tail);
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--) {
            if (end.getInt(i) == 0x06054b50) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw new CheckpointException(source + " is truncated or corrupt: no zip end-of-central-directory record");
        }
        long count = end.getShort(eocd + 10) & 0xffff;
        long cdSize = end.getInt(eocd + 12) & 0xffffffffL;
        long cdOffset = end.getInt(eocd + 16) & 0xffffffffL;
        if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
            long locator = size - tail + eocd - 20;
            ByteBuffer loc = read(locator, 20);
            if (loc.getInt(0) != 0x07064b50) {
                throw new CheckpointException(source + " is corrupt: Zip64 locator missing");
            }
            ByteBuffer z = read(loc.getLong(8), 56);
            if (z.getInt(0) != 0x06064b50) {
                throw new CheckpointException(source + " is corrupt: Zip64 end record missing");
            }
            count = z.getLong(32);
            cdSize = z.getLong(40);
            cdOffset = z.getLong(48);
        }
        if (cdSize > Integer.MAX_VALUE) {
            throw new CheckpointException(source + " has an implausibly large zip directory");
        }
        ByteBuffer cd = read(cdOffset, (int) cdSize);
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (cd.getInt(p) != 0x02014b50) {
                throw new CheckpointException(source + " is corrupt: bad zip directory entry " + i);
            }
            int method = cd.getShort(p + 10) & 0xffff;
            long csize = cd.getInt(p + 20) & 0xffffffffL;
            long usize = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff;
            int extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long local = cd.getInt(p + 42) & 0xffffffffL;
            byte[] nameBytes = new byte[nameLen];
            cd.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = cd.getShort(x) & 0xffff;
                int len = cd.getShort(x + 2) & 0xffff;
                if (id == 0x0001) {
                    int q = x + 4;
                    if (usize == 0xffffffffL) {
                        usize = cd.getLong(q);
                        q += 8;
                    }
                    if (csize == 0xffffffffL) {
                        csize = cd.getLong(q);
                        q += 8;
                    }
                    if (local == 0xffffffffL) {
                        local = cd.getLong(q);
                    }
                }
                x += 4 + len;
            }
            ByteBuffer lh = read(local, 30);
            if (lh.getInt(0) != 0x04034b50) {
                throw new CheckpointException(source + " is corrupt: bad local header of zip entry '" + name + "'");
            }
            long dataOffset = local + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
            entries.put(name, new Entry(name, method, csize, usize, dataOffset));
            p = xEnd + commentLen;
        }
    }
}
