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
 * The repacked Q4_0 layout: its vector row-group kernel equals its scalar twin and the row-by-row kernel bit for
 * bit (resident weights are repacked, streamed ones are not: the same logits either way), and the GEMM panels
 * read from it are the ones dequantized from the original layout (so prefill gives identical results either way).
 */
class Q4_0RepackedTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int COLS = 32 * 17;

    private static MemorySegment q4_0(Arena arena, int rows, Random random) {
        long size = (long) rows * COLS / 32 * Q4_0Kernel.BLOCK_BYTES;
        MemorySegment w = arena.allocate(size, 64);
        for (long i = 0; i < size; i++) w.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        for (long b = 0; b < size; b += Q4_0Kernel.BLOCK_BYTES) w.set(HALF, b, Float.floatToFloat16(random.nextFloat(-0.05f, 0.05f)));
        return w;
    }

    private static Activations activations(int n, Random random) {
        Activations a = new Activations();
        a.reserve(n, COLS);
        for (int i = 0; i < n * COLS; i++) a.x[i] = random.nextFloat(-3f, 3f);
        a.prepare(Activations.Form.Q8_0);
        return a;
    }

    @Test
    void groupKernelEqualsScalarTwinAndRowKernel() {
        Assumptions.assumeTrue(Q4_0Repacked.supports(Q4_0Repacked.G, COLS), "no repacking at this vector width");
        int rows = 3 * Q4_0Repacked.G;
        Random random = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = q4_0(arena, rows, random);
            MemorySegment rp = Q4_0Repacked.allocate(arena, rows, COLS);
            Q4_0Repacked.repack(w, rp, COLS, 0, rows / Q4_0Repacked.G);
            Activations a = activations(3, random);
            MemorySegment out = arena.allocate(4L * rows, 64);
            float[] tmp = new float[COLS];
            long rowBytes = COLS / 32 * Q4_0Kernel.BLOCK_BYTES;
            for (int x = 0; x < 3; x++) {
                for (int g = 0; g < rows / Q4_0Repacked.G; g++)
                    Q4_0Repacked.gemv(rp, g, COLS, a, x, out, (long) g * Q4_0Repacked.G, tmp);
                for (int r = 0; r < rows; r++) {
                    float vector = out.getAtIndex(WeightKernel.F32, r);
                    int g = r / Q4_0Repacked.G, i = r % Q4_0Repacked.G;
                    assertEquals(Float.floatToRawIntBits(Q4_0Repacked.dotScalar(rp, g, i, COLS, a, x)),
                            Float.floatToRawIntBits(vector), "row " + r + ", x row " + x + ": vector vs scalar twin");
                    float rowByRow = Q4_0Kernel.dotVector(w, r * rowBytes, a.q, a.qs, a.d, a.sums, x * COLS, COLS, new float[Q4_0Kernel.TMP_FLOATS]);
                    assertEquals(Float.floatToRawIntBits(rowByRow), Float.floatToRawIntBits(vector),
                            "row " + r + ": repacked vs row-by-row kernel (streamed weights are not repacked)");
                }
            }
        }
    }

    @Test
    void gemmPanelsFromTheRepackedLayoutGiveIdenticalResults() {
        Assumptions.assumeTrue(Q4_0Repacked.supports(Q4_0Repacked.G, COLS), "no repacking at this vector width");
        int rows = 2 * PanelGemm.RW;
        int n = PanelGemm.RT + 3;
        Random random = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = q4_0(arena, rows, random);
            MemorySegment rp = Q4_0Repacked.allocate(arena, rows, COLS);
            Q4_0Repacked.repack(w, rp, COLS, 0, rows / Q4_0Repacked.G);
            Activations a = activations(n, random);
            a.prepareTiles(Activations.Form.Q8_0);
            long rowBytes = COLS / 32 * Q4_0Kernel.BLOCK_BYTES;
            MemorySegment plain = arena.allocate(4L * rows * n, 64), packed = arena.allocate(4L * rows * n, 64);
            float[] scratch = new float[PanelGemm.scratchFloats(COLS)];
            for (int r0 = 0; r0 < rows; r0 += PanelGemm.RW) {
                PanelGemm.group(new Q4_0Kernel(), w, rowBytes, null, a, r0, plain, rows, scratch);
                PanelGemm.group(new Q4_0Kernel(), w, rowBytes, rp, a, r0, packed, rows, scratch);
            }
            for (long i = 0; i < (long) rows * n; i++)
                assertEquals(Float.floatToRawIntBits(plain.getAtIndex(WeightKernel.F32, i)),
                        Float.floatToRawIntBits(packed.getAtIndex(WeightKernel.F32, i)), "output " + i);
        }
    }
}
