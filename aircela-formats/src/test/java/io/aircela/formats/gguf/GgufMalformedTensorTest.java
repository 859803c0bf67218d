package io.aircela.formats.gguf;

import io.aircela.quant.QuantType;
import io.aircela.weights.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static io.aircela.formats.gguf.GgufRejects.assertMentions;
import static io.aircela.formats.gguf.GgufRejects.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed tensor tables: rank, shape, type, block multiples, offsets, overlaps, bounds. */
class GgufMalformedTensorTest {
    private static final int F32 = QuantType.F32.id();

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("bad.gguf");
    }

    private static GgufBuilder.Tensor tensor(String name, int type, long[] shape, Long offset, long bytes) {
        return new GgufBuilder.Tensor(name, type, shape, offset, bytes, null);
    }

    /** Offset of dimension {@code d} in a v2+ tensor info. */
    private static long dimAt(GgufBuilder b, String name, int d) {
        return b.mark("tensor:" + name) + 8 + name.length() + 4 + 8L * d;
    }

    @Test
    void duplicateTensorNames() {
        GgufBuilder b = new GgufBuilder().tensor("a.weight", QuantType.F32, 8).tensor("b.weight", QuantType.F32, 8)
                .tensor("a.weight", QuantType.F32, 8);
        assertMentions(rejects(file(), b, "tensor 'a.weight'", b.mark("tensor:a.weight")), "duplicate tensor name");
    }

    @Test
    void emptyTensorName() {
        GgufBuilder b = new GgufBuilder().tensor("", QuantType.F32, 8);
        assertMentions(rejects(file(), b, "tensor[0]", b.mark("tensor:")), "empty tensor name");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 1000})
    void rankOutsideOneToFour(int rank) {
        long[] shape = new long[Math.min(rank, 5)];
        java.util.Arrays.fill(shape, 2);
        GgufBuilder b = new GgufBuilder().tensor(new GgufBuilder.Tensor("x.weight", F32, shape, null, 64, rank));
        assertMentions(rejects(file(), b, "tensor 'x.weight'", dimAt(b, "x.weight", 0) - 4), "rank " + rank);
    }

    @Test
    void dimensionsWhoseProductOverflows() {
        GgufBuilder b = new GgufBuilder().tensor(tensor("x.weight", F32, new long[]{1L << 32, 1L << 32}, null, 64));
        assertMentions(rejects(file(), b, "tensor 'x.weight'", dimAt(b, "x.weight", 1)), "overflow");
        // a zero dimension does not hide the overflow of the others
        b = new GgufBuilder().tensor(tensor("x.weight", F32, new long[]{0, 1L << 40, 1L << 40}, null, 0));
        rejects(file(), b, "tensor 'x.weight'", dimAt(b, "x.weight", 2));
    }

    @Test
    void dimensionAboveTwoToTheSixtyThree() {
        GgufBuilder b = new GgufBuilder().tensor(tensor("x.weight", F32, new long[]{-1}, null, 64));
        assertMentions(rejects(file(), b, "x.weight", dimAt(b, "x.weight", 0)), "absurd");
    }

    @Test
    void byteSizeThatOverflows() {
        // 2^63-256 elements of Q8_K: the element count fits, 292 bytes per 256 of them does not
        GgufBuilder b = new GgufBuilder().tensor(tensor("x.weight", QuantType.Q8_K.id(), new long[]{256, (1L << 55) - 1},
                null, 64));
        assertMentions(rejects(file(), b, "tensor 'x.weight'", dimAt(b, "x.weight", 0) - 4), "byte size overflows");
    }

    @ParameterizedTest
    @ValueSource(ints = {99, 4, 5, 31, 64, -1})
    void unknownTensorType(int type) {
        GgufBuilder b = new GgufBuilder().tensor(tensor("x.weight", type, new long[]{32}, null, 128));
        long typeAt = dimAt(b, "x.weight", 1);
        assertMentions(rejects(file(), b, "tensor 'x.weight'", typeAt), "unknown tensor type " + Integer.toUnsignedString(type));
    }

    @Test
    void quantizedRowNotAMultipleOfTheBlock() {
        GgufBuilder b = new GgufBuilder().tensor(tensor("x.weight", QuantType.Q4_0.id(), new long[]{33, 2}, null, 64));
        assertMentions(rejects(file(), b, "tensor 'x.weight'", dimAt(b, "x.weight", 0) - 4), "33", "Q4_0", "32");
        b = new GgufBuilder().tensor(tensor("y.weight", QuantType.Q6_K.id(), new long[]{128}, null, 210));
        assertMentions(rejects(file(), b, "tensor 'y.weight'", GgufRejects.ANY_OFFSET), "256");
    }

    @Test
    void misalignedDataOffset() {
        GgufBuilder b = new GgufBuilder().tensor(tensor("a.weight", F32, new long[]{8}, 0L, 32))
                .tensor(tensor("b.weight", F32, new long[]{8}, 48L, 32));
        assertMentions(rejects(file(), b, "tensor 'b.weight'", b.mark("tensor:b.weight")), "alignment 32");
        // with general.alignment 16 the same table passes (what fails next is the missing model metadata)
        b.u32("general.alignment", 16).dataAlignment(16);
        rejects(file(), b, "general.architecture", -1);
    }

    @Test
    void overlappingTensors() {
        GgufBuilder b = new GgufBuilder().tensor(tensor("a.weight", F32, new long[]{16}, 0L, 64))
                .tensor(tensor("b.weight", F32, new long[]{16}, 32L, 64));
        assertMentions(rejects(file(), b, "tensor 'b.weight'", b.mark("data:b.weight")), "overlaps tensor 'a.weight'");
    }

    @Test
    void overlapBehindAnEmptyOrShortNeighbourIsStillFound() {
        GgufBuilder b = new GgufBuilder().tensor(tensor("big.weight", F32, new long[]{64}, 0L, 256))
                .tensor(tensor("empty.weight", F32, new long[]{0}, 32L, 0))
                .tensor(tensor("short.weight", F32, new long[]{8}, 64L, 32))
                .tensor(tensor("late.weight", F32, new long[]{8}, 128L, 32));
        assertMentions(rejects(file(), b, "tensor 'short.weight'", GgufRejects.ANY_OFFSET), "big.weight");
        b = new GgufBuilder().tensor(tensor("big.weight", F32, new long[]{64}, 0L, 256))
                .tensor(tensor("short.weight", F32, new long[]{8}, 0L, 32))
                .tensor(tensor("late.weight", F32, new long[]{8}, 128L, 32));
        assertMentions(rejects(file(), b, "tensor 'short.weight'", GgufRejects.ANY_OFFSET), "big.weight");
    }

    @Test
    void tensorDataPastTheEndOfTheFile() {
        byte[] good = TinyGguf.llama(3).build();
        GgufBuilder b = TinyGguf.llama(3);
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 1);
        assertMentions(rejects(file(), cut, "tensor 'output.weight'", b.mark("tensor:output.weight")), "past the end");
        b = new GgufBuilder().tensor(tensor("far.weight", F32, new long[]{8}, 1L << 40, 0))
                .tensor(tensor("x.weight", F32, new long[]{8}, 0L, 32));
        // far.weight claims 32 bytes a terabyte away but the file holds none of them
        assertMentions(rejects(file(), b, "tensor 'far.weight'", b.mark("tensor:far.weight")), "past the end");
    }

    @ParameterizedTest
    @ValueSource(longs = {-1L, Long.MIN_VALUE, Long.MAX_VALUE - 31})
    void absurdDataOffsets(long offset) {
        GgufBuilder b = new GgufBuilder().tensor(tensor("x.weight", F32, new long[]{8}, offset, 0));
        rejects(file(), b, "tensor 'x.weight'", GgufRejects.ANY_OFFSET);
    }

    @Test
    void zeroSizedDimensionLoads() {
        GgufBuilder b = TinyGguf.llama(3).tensor("rope_freqs.weight", QuantType.F32, 0)
                .tensor("blk.1.ffn_extra.weight", QuantType.Q4_0, 32, 0);
        try (GgufWeightSource s = GgufWeightSource.open(b.write(file()))) {
            TensorInfo t = s.tensor("blk.1.ffn_extra.weight").orElseThrow();
            assertArrayEquals(new long[]{32, 0}, t.shape());
            assertEquals(0, t.byteSize());
            assertEquals(0, t.elements());
            assertEquals(0, s.view(t).byteSize());
            s.read(t, java.lang.foreign.MemorySegment.ofArray(new byte[0]));
            assertTrue(s.layers().get(1).tensors().contains(t));
            assertEquals(0, s.view(s.tensor("rope_freqs.weight").orElseThrow()).byteSize());
            assertTrue(s.config().isPresent());
        }
    }
}
