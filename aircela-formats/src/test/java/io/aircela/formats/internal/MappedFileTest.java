package io.aircela.formats.internal;

import io.aircela.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mapping, positional reads, probe and lifetime rules both weight sources rely on. */
class MappedFileTest {
    @TempDir
    Path dir;

    private Path file(int size) throws IOException {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) bytes[i] = (byte) (i * 7 + 3);
        return Files.write(dir.resolve("f.bin"), bytes);
    }

    @Test
    void slicesAreReadOnlyZeroCopyViewsOfTheFile() throws IOException {
        try (MappedFile f = MappedFile.open(file(100))) {
            assertEquals(100, f.byteSize());
            MemorySegment s = f.slice(10, 5);
            assertTrue(s.isReadOnly());
            assertArrayEquals(new byte[] {73, 80, 87, 94, 101}, s.toArray(ValueLayout.JAVA_BYTE));
            assertThrows(IndexOutOfBoundsException.class, () -> f.slice(99, 2));
        }
    }

    @Test
    void readTensorCopiesTheBytesAndRejectsASmallBuffer() throws IOException {
        try (MappedFile f = MappedFile.open(file(100))) {
            byte[] dst = new byte[8];
            f.readTensor(20, 6, MemorySegment.ofArray(dst), "t", "t");
            assertArrayEquals(f.slice(20, 6).toArray(ValueLayout.JAVA_BYTE), java.util.Arrays.copyOf(dst, 6));
            assertEquals(0, dst[6]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> f.readTensor(0, 9, MemorySegment.ofArray(new byte[8]), "blk.0.x", "stored.x"));
            assertEquals("buffer of 8 bytes is too small for blk.0.x (9 bytes)", e.getMessage());
        }
    }

    @Test
    void aFileTruncatedAfterOpeningFailsTheReadAtTheByteWhereItEnded() throws IOException {
        Path p = file(100);
        try (MappedFile f = MappedFile.open(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(50);
            }
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> f.readTensor(40, 20, MemorySegment.ofArray(new byte[20]), "blk.0.x", "stored.x"));
            assertEquals(50, e.offset());
            assertTrue(e.getMessage().contains("stored.x"), e.getMessage());
            assertTrue(e.getMessage().contains("truncated after opening"), e.getMessage());
        }
    }

    @Test
    void closeTwiceIsHarmlessAndEndsTheMapping() throws IOException {
        MappedFile f = MappedFile.open(file(16));
        MemorySegment s = f.slice(0, 16);
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void openReportsAMissingFileAsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> MappedFile.open(dir.resolve("absent")));
    }

    @Test
    void readHeadGivesTheSizeOrMinusOneWhenTheFileIsShortOrUnreadable() throws IOException {
        Path p = file(10);
        ByteBuffer four = ByteBuffer.allocate(4);
        assertEquals(10, MappedFile.readHead(p, four));
        assertArrayEquals(new byte[] {3, 10, 17, 24}, four.array());
        assertEquals(-1, MappedFile.readHead(p, ByteBuffer.allocate(11)));
        assertEquals(-1, MappedFile.readHead(dir.resolve("absent"), ByteBuffer.allocate(1)));
        assertEquals(-1, MappedFile.readHead(dir, ByteBuffer.allocate(1)));
    }
}
