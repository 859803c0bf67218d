package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The repacked Q4_K layout: its vector row-group kernel equals its scalar twin and the row kernels bit for bit
 * (resident weights are repacked, streamed ones are not: the same logits either way), also with every short lane at
 * its bound, and the GEMM panels read from it are the ones dequantized from the original layout.
 */
class Q4_KRepackedTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int COLS = KQuantKernelTwinTest.COLS;
    private static final long ROW_BYTES = COLS / 256 * Q4_KKernel.BLOCK_BYTES;

    private static MemorySegment q4_K(Arena arena, int rows, Random random) {
        long size = rows * ROW_BYTES;
        MemorySegment w = arena.allocate(size, 64);
        for (long i = 0; i < size; i++) w.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        for (long b = 0; b < size; b += Q4_KKernel.BLOCK_BYTES) {
            w.set(HALF, b, Float.floatToFloat16(random.nextFloat(0.001f, 0.05f)));
            w.set(HALF, b + 2, Float.floatToFloat16(random.nextFloat(0.001f, 0.05f)));
        }
        return w;
    }

    private static Activations activations(int n, Random random) {
        Activations a = new Activations();
        a.reserve(n, COLS);
        for (int i = 0; i < n * COLS; i++) a.x[i] = random.nextFloat(-3f, 3f);
        a.prepare(Activations.Form.Q8_K);
        return a;
    }

    /** {@code w} repacked; gemv over all groups equals the scalar twin and both row kernels for every row. */
    private static void checkAllRows(Arena arena, MemorySegment w, int rows, Activations a, String what) {
        MemorySegment rp = Q4_KRepacked.allocate(arena, rows, COLS);
        Q4_KRepacked.repack(w, rp, COLS, 0, rows / Q4_KRepacked.G);
        MemorySegment out = arena.allocate(4L * rows, 64);
        float[] tmp = new float[COLS];
        for (int x = 0; x < a.n; x++) {
            for (int g = 0; g < rows / Q4_KRepacked.G; g++)
                Q4_KRepacked.gemv(rp, g, COLS, a, x, out, (long) g * Q4_KRepacked.G, tmp, new byte[Q4_KRepacked.GROUP_BLOCK_BYTES]);
            for (int r = 0; r < rows; r++) {
                int vector = Float.floatToRawIntBits(out.getAtIndex(WeightKernel.F32, r));
                int g = r / Q4_KRepacked.G, i = r % Q4_KRepacked.G;
                String at = what + ", row " + r + ", x row " + x;
                assertEquals(Float.floatToRawIntBits(Q4_KRepacked.dotScalar(rp, g, i, COLS, a, x)), vector, at + ": vs scalar twin");
                float scalar = Q4_KKernel.dotScalar(w, r * ROW_BYTES, a.q, a.d, a.bsums, x * COLS, COLS);
                assertEquals(Float.floatToRawIntBits(scalar), vector, at + ": vs row kernel's scalar twin");
                float rowVector = Q4_KKernel.dotVector(w, r * ROW_BYTES, a.qs, a.d, a.bsums, x * COLS, COLS);
                assertEquals(Float.floatToRawIntBits(rowVector), vector, at + ": vs row kernel (streamed weights)");
            }
        }
    }

    @Test
    void groupKernelEqualsScalarTwinAndRowKernels() {
        Assumptions.assumeTrue(Q4_KRepacked.supports(Q4_KRepacked.G, COLS), "no repacking at this vector width");
        int rows = 3 * Q4_KRepacked.G;
        Random random = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            checkAllRows(arena, q4_K(arena, rows, random), rows, activations(3, random), "random");
        }
    }

    /**
     * Short lanes at their bounds: nibbles 15, scales and mins 63, activations -128 and 127 (quantization never makes
     * -128; the kernel must still be exact), all alike and mixed, next to random rows.
     */
    @Test
    void extremesAreExact() {
        Assumptions.assumeTrue(Q4_KRepacked.supports(Q4_KRepacked.G, COLS), "no repacking at this vector width");
        int rows = 2 * Q4_KRepacked.G;
        Random random = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = q4_K(arena, rows, random);
            for (int r = 0; r < rows; r += 2) // even rows: all scales, mins and nibbles at their maximum
                for (int b = 0; b < COLS / 256; b++)
                    w.asSlice(r * ROW_BYTES + (long) b * Q4_KKernel.BLOCK_BYTES + 4, 140).fill((byte) 0xFF);
            int[][] patterns = {{-128}, {127}, {-128, 127}, {127, -128, -128, 127, 0}};
            for (int[] pattern : patterns) {
                Activations a = KQuantKernelTwinTest.extremeActivations(pattern);
                checkAllRows(arena, w, rows, a, "pattern " + java.util.Arrays.toString(pattern));
            }
        }
    }

    @Test
    void gemmPanelsFromTheRepackedLayoutGiveIdenticalResults() {
        Assumptions.assumeTrue(Q4_KRepacked.supports(Q4_KRepacked.G, COLS), "no repacking at this vector width");
        int rows = 2 * PanelGemm.RW;
        int n = PanelGemm.RT + 3;
        Random random = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = q4_K(arena, rows, random);
            MemorySegment rp = Q4_KRepacked.allocate(arena, rows, COLS);
            Q4_KRepacked.repack(w, rp, COLS, 0, rows / Q4_KRepacked.G);
            Activations a = activations(n, random);
            a.prepareTiles(Activations.Form.Q8_K);
            MemorySegment plain = arena.allocate(4L * rows * n, 64), packed = arena.allocate(4L * rows * n, 64);
            float[] scratch = new float[PanelGemm.scratchFloats(COLS)];
            for (int r0 = 0; r0 < rows; r0 += PanelGemm.RW) {
                PanelGemm.group(new Q4_KKernel(), w, ROW_BYTES, null, a, r0, plain, rows, scratch);
                PanelGemm.group(new Q4_KKernel(), w, ROW_BYTES, rp, a, r0, packed, rows, scratch);
            }
            for (long i = 0; i < (long) rows * n; i++)
                assertEquals(Float.floatToRawIntBits(plain.getAtIndex(WeightKernel.F32, i)),
                        Float.floatToRawIntBits(packed.getAtIndex(WeightKernel.F32, i)), "output " + i);
        }
    }
}
