package org.fx4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slices of a sparse 2.6 GB file through the windowed mappings: every byte where it belongs. */
class FileWindowsTest {

    private static final long MIB = 1L << 20;

    @Test
    void slicesOfAFileOver2GiBReadTheRightBytes(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("sparse.bin");
        long size = 2600 * MIB;
        long[] offsets = {0, 512 * MIB - 8, 1024 * MIB - 3, 1536 * MIB - 8, 2048 * MIB + 5, 2500 * MIB, size - 16};
        long big = 1900 * MIB; // a 600 MB record: its own mapping
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
            for (long o : offsets) {
                raf.seek(o);
                raf.write(marker(o));
            }
            raf.seek(big);
            raf.write(marker(big));
            raf.seek(big + 600 * MIB - 16);
            raf.write(marker(big + 1));
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            FileWindows w = new FileWindows(ch, "'" + f + "'");
            for (long o : offsets) {
                assertEquals(ByteBuffer.wrap(marker(o)), w.slice(o, 16), "16 bytes at " + o);
            }
            ByteBuffer record = w.slice(big, 600 * MIB);
            assertEquals(600 * MIB, record.remaining());
            assertEquals(ByteBuffer.wrap(marker(big)), record.duplicate().limit(16));
            assertEquals(ByteBuffer.wrap(marker(big + 1)), record.duplicate().position((int) (600 * MIB - 16)));
            CheckpointException e = assertThrows(CheckpointException.class, () -> w.slice(size - 8, 16));
            assertTrue(e.getMessage().contains("lie past its end") && e.getMessage().contains(f.toString()),
                    e.getMessage());
            assertTrue(assertThrows(CheckpointException.class, () -> w.slice(0, 2200 * MIB)).getMessage()
                    .contains("up to 2 GiB"));
        }
    }

    private static byte[] marker(long offset) {
        ByteBuffer b = ByteBuffer.allocate(16).putLong(offset).putLong(~offset);
        return b.array();
    }
}
