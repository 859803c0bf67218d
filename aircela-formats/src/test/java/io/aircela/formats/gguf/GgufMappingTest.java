package io.aircela.formats.gguf;

import io.aircela.quant.QuantType;
import io.aircela.weights.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mapping with FFM: files past 4 GiB, zero-copy views, caller-owned reads, and the lifetime rules. */
class GgufMappingTest {
    private static final long FOUR_GIB = 1L << 32;

    @TempDir
    Path dir;

    /**
     * A sparse file whose last tensor lies beyond 4 GiB: only the header and the tensors' bytes are
     * written, the hole between them costs no disk and no time.
     */
    @Test
    void tensorDataBeyondFourGibIsReadableByViewAndByRead() throws IOException {
        long far = FOUR_GIB + 4096; // relative to the data start, a multiple of the alignment
        long outputBytes = QuantType.F16.byteSize((long) TinyGguf.DIM * TinyGguf.VOCAB);
        GgufBuilder b = TinyGguf.llama(3).remove("output.weight").tensor(new GgufBuilder.Tensor("output.weight",
                QuantType.F16.id(), new long[]{TinyGguf.DIM, TinyGguf.VOCAB}, far, outputBytes, null));
        byte[] header = b.header();
        Path file = dir.resolve("sparse.gguf");
        byte[] farBytes = new byte[(int) outputBytes];
        new Random(42).nextBytes(farBytes);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(ch, header, 0);
            byte[] small = new byte[4096];
            for (int i = 0; i < 4096; i++) small[i] = (byte) i;
            writeFully(ch, small, header.length); // all tensors but the far one lie in here
            writeFully(ch, farBytes, b.mark("data:output.weight"));
        }
        assertTrue(Files.size(file) > FOUR_GIB, "file is " + Files.size(file) + " bytes");

        try (GgufWeightSource s = GgufWeightSource.open(file)) {
            TensorInfo t = s.tensor("output.weight").orElseThrow();
            assertEquals(b.mark("data:output.weight"), t.offset());
            assertTrue(t.offset() > FOUR_GIB);
            assertEquals(Files.size(file), t.end());
            MemorySegment view = s.view(t);
            assertArrayEquals(farBytes, view.toArray(ValueLayout.JAVA_BYTE));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dst = arena.allocate(outputBytes);
                s.read(t, dst);
                assertArrayEquals(farBytes, dst.toArray(ValueLayout.JAVA_BYTE));
            }
            byte[] heap = new byte[(int) outputBytes];
            s.read(t, MemorySegment.ofArray(heap));
            assertArrayEquals(farBytes, heap);
            TensorInfo near = s.tensor("blk.0.attn_q.weight").orElseThrow();
            assertEquals((byte) (near.offset() - header.length), s.view(near).get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(TinyGguf.BLOCKS, s.layers().size());
            assertTrue(s.config().isPresent());
        }
    }

    private static void writeFully(FileChannel ch, byte[] bytes, long position) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(bytes);
        while (bb.hasRemaining()) ch.write(bb, position + bb.position());
    }

    @Test
    void viewsAreZeroCopyReadOnlySlicesOfOneMapping() {
        Path file = TinyGguf.llama(3).write(dir.resolve("tiny.gguf"));
        try (GgufWeightSource s = GgufWeightSource.open(file)) {
            TensorInfo first = s.tensors().getFirst();
            MemorySegment base = s.view(first);
            assertTrue(base.isMapped(), "views are slices of the file mapping, not copies");
            assertTrue(base.isNative());
            for (TensorInfo t : s.tensors()) {
                MemorySegment v = s.view(t);
                assertEquals(t.offset() - first.offset(), v.address() - base.address(), t.name() + " not at its offset");
                assertEquals(v.address(), s.view(t).address(), "a second view is the same memory");
                assertTrue(v.isReadOnly());
            }
            assertThrows(IllegalArgumentException.class, () -> base.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        }
    }

    @Test
    void viewsMatchTheFilesBytes() throws IOException {
        Path file = TinyGguf.llama(2).write(dir.resolve("tiny.gguf"));
        byte[] all = Files.readAllBytes(file);
        try (GgufWeightSource s = GgufWeightSource.open(file)) {
            for (TensorInfo t : s.tensors()) {
                byte[] expected = java.util.Arrays.copyOfRange(all, (int) t.offset(), (int) t.end());
                assertArrayEquals(expected, s.view(t).toArray(ValueLayout.JAVA_BYTE), t.name());
            }
        }
    }

    @Test
    void afterCloseAccessFailsWithIllegalStateAndCloseTwiceIsHarmless() {
        Path file = TinyGguf.llama(3).write(dir.resolve("tiny.gguf"));
        GgufWeightSource s = GgufWeightSource.open(file);
        TensorInfo t = s.tensor("token_embd.weight").orElseThrow();
        MemorySegment early = s.view(t);
        float before = early.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
        assertEquals(before, early.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        s.close();
        assertDoesNotThrow(s::close);
        assertThrows(IllegalStateException.class, () -> early.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> s.view(t));
        assertThrows(IllegalStateException.class, () -> s.read(t, MemorySegment.ofArray(new byte[(int) t.byteSize()])));
        assertEquals(t, s.tensor("token_embd.weight").orElseThrow(), "the table stays readable after close");
    }

    @Test
    void readRejectsASmallBufferAndAForeignTensor() throws IOException {
        Path file = TinyGguf.llama(3).write(dir.resolve("tiny.gguf"));
        Path other = Files.copy(file, dir.resolve("other.gguf"));
        try (GgufWeightSource s = GgufWeightSource.open(file); GgufWeightSource o = GgufWeightSource.open(other)) {
            TensorInfo t = s.tensor("token_embd.weight").orElseThrow();
            MemorySegment small = MemorySegment.ofArray(new byte[(int) t.byteSize() - 1]);
            assertThrows(IllegalArgumentException.class, () -> s.read(t, small));
            TensorInfo foreign = new TensorInfo("token_embd.weight", t.type(), t.shape(), t.offset() + 32,
                    t.byteSize(), -1);
            assertThrows(IllegalArgumentException.class, () -> s.view(foreign));
            assertThrows(IllegalArgumentException.class, () -> s.read(foreign, MemorySegment.ofArray(new byte[1024])));
            // an equal tensor from an identical file is the same tensor
            assertEquals(-1, s.view(o.tensor("output.weight").orElseThrow()).mismatch(o.view(o.tensors().getLast())));
        }
    }
}
