package org.fx4j.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
        final int crc;
        final long localOffset;

        Entry(String name, int method, long compressedSize, long size, long dataOffset, int crc, long localOffset) {
            this.localOffset = localOffset;
            this.name = name;
            this.method = method;
            this.compressedSize = compressedSize;
            this.size = size;
            this.dataOffset = dataOffset;
            this.crc = crc;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final FileChannel channel;
    private final String source;
    private final FileWindows windows;

    ZipDirectory(FileChannel channel, String source) throws IOException {
        this.channel = channel;
        this.source = source;
        this.windows = new FileWindows(channel, source);
        read();
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /**
     * Checks that a stored entry can be mapped: not compressed, inside the file, at most 2 GiB.
     *
     * @throws CheckpointException naming the entry if not
     */
    void checkReadable(Entry e) throws IOException {
        if (e.method != 0) {
            throw new CheckpointException(source + ": entry '" + BoundedText.name(e.name) + "' is compressed (method " + e.method
                    + "); torch.save writes stored entries, so the file was re-zipped. Unzip and re-zip with -0.");
        }
        checkInside(e, e.size);
        if (e.size > Integer.MAX_VALUE) {
            throw new CheckpointException(source + ": entry '" + BoundedText.name(e.name) + "' holds " + e.size + " bytes; fx4j maps"
                    + " entries (one tensor storage each) of up to 2 GiB");
        }
    }

    /** Checks that {@code length} bytes of an entry's data lie inside the file. */
    void checkInside(Entry e, long length) throws IOException {
        if (length < 0 || e.dataOffset > channel.size() || length > channel.size() - e.dataOffset) {
            throw new CheckpointException(source + " is truncated: entry '" + BoundedText.name(e.name) + "' needs " + length
                    + " bytes at offset " + e.dataOffset + " but the file has " + channel.size());
        }
    }

    /** Maps a stored entry's bytes (read-only, little-endian). */
    ByteBuffer map(Entry e) throws IOException {
        checkReadable(e);
        return windows.slice(e.dataOffset, e.size);
    }

    /** The file's channel (for compressed entries, which are read through an inflater). */
    FileChannel channel() {
        return channel;
    }

    private ByteBuffer read(long position, int length) throws IOException {
        if (position < 0 || length < 0 || position > channel.size() - length) {
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

    private CheckpointException corrupt(String what) {
        return new CheckpointException(source + " is corrupt: " + what);
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
                throw corrupt("Zip64 locator missing");
            }
            ByteBuffer z = read(loc.getLong(8), 56);
            if (z.getInt(0) != 0x06064b50) {
                throw corrupt("Zip64 end record missing");
            }
            count = z.getLong(32);
            cdSize = z.getLong(40);
            cdOffset = z.getLong(48);
        }
        if (cdSize < 0 || cdSize > Math.min(Integer.MAX_VALUE, size)) {
            throw corrupt("its zip directory declares " + cdSize + " bytes in a file of " + size);
        }
        if (count < 0 || count > cdSize / 46) {
            throw corrupt("its zip directory declares " + count + " entries, " + cdSize + " bytes hold at most "
                    + cdSize / 46);
        }
        ByteBuffer cd = read(cdOffset, (int) cdSize);
        int limit = cd.limit();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p > limit - 46 || cd.getInt(p) != 0x02014b50) {
                throw corrupt("bad zip directory entry " + i + " of " + count);
            }
            int method = cd.getShort(p + 10) & 0xffff;
            int crc = cd.getInt(p + 16);
            long csize = cd.getInt(p + 20) & 0xffffffffL;
            long usize = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff;
            int extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long local = cd.getInt(p + 42) & 0xffffffffL;
            if ((long) p + 46 + nameLen + extraLen + commentLen > limit) {
                throw corrupt("zip directory entry " + i + " declares names and fields past the directory's end");
            }
            byte[] nameBytes = new byte[nameLen];
            cd.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = cd.getShort(x) & 0xffff;
                int len = cd.getShort(x + 2) & 0xffff;
                if (x + 4 + len > xEnd) {
                    throw corrupt("an extra field of zip entry '" + BoundedText.name(name) + "' runs past its end");
                }
                if (id == 0x0001) {
                    int q = x + 4;
                    int qEnd = x + 4 + len;
                    if (usize == 0xffffffffL && q + 8 <= qEnd) {
                        usize = cd.getLong(q);
                        q += 8;
                    }
                    if (csize == 0xffffffffL && q + 8 <= qEnd) {
                        csize = cd.getLong(q);
                        q += 8;
                    }
                    if (local == 0xffffffffL && q + 8 <= qEnd) {
                        local = cd.getLong(q);
                    }
                }
                x += 4 + len;
            }
            if (usize < 0 || csize < 0 || local < 0 || csize > size) {
                throw corrupt("zip entry '" + BoundedText.name(name) + "' declares sizes " + csize + "/" + usize
                        + " at offset " + local + " in a file of " + size);
            }
            if (method == 0 && csize != usize) {
                throw corrupt("stored zip entry '" + BoundedText.name(name) + "' declares " + csize
                        + " bytes stored but " + usize + " uncompressed");
            }
            ByteBuffer lh = read(local, 30);
            if (lh.getInt(0) != 0x04034b50) {
                throw corrupt("bad local header of zip entry '" + BoundedText.name(name) + "'");
            }
            long dataOffset = local + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
            if (entries.put(name, new Entry(name, method, csize, usize, dataOffset, crc, local)) != null) {
                throw corrupt("zip entry '" + BoundedText.name(name) + "' appears twice");
            }
            p = xEnd + commentLen;
        }
        // Entries may not share bytes (as Python's zipfile refuses "overlapped entries"): else one deflate
        // stream listed many times would multiply what a small file inflates to.
        java.util.List<Entry> byOffset = new java.util.ArrayList<>(entries.values());
        byOffset.sort(java.util.Comparator.comparingLong(e -> e.localOffset));
        for (int i = 0; i < byOffset.size(); i++) {
            Entry e = byOffset.get(i);
            long entryEnd = e.dataOffset + e.compressedSize;
            long next = i + 1 < byOffset.size() ? byOffset.get(i + 1).localOffset : cdOffset;
            if (entryEnd > next) {
                throw corrupt("zip entry '" + BoundedText.name(e.name) + "' overlaps "
                        + (i + 1 < byOffset.size() ? "entry '" + BoundedText.name(byOffset.get(i + 1).name) + "'"
                                : "the zip directory"));
            }
        }
    }
}
