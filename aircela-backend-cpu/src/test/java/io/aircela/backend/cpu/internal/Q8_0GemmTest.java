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
 * Q8_0 prefill through {@link MatMulTask} ({@link Q8_0Gemm} row groups, the last rows through the row kernels)
 * gives exactly {@link Q8_0Kernel#dot}'s results, which are llama.cpp's bit for bit: an odd token count, rows not a
 * multiple of the group, extreme activations; so do the {@link Q8_0Repacked} panels and one-token group kernel.
 */
class Q8_0GemmTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void gemmIsBitIdenticalToTheRowKernel() {
        Assumptions.assumeTrue(VectorWidth.ENABLED, "scalar kernels only (aircela.vector.bits=0): no GEMM");
        int cols = 32 * 11, rows = 2 * Q8_0Gemm.L + 3, n = 13;
        Random random = new Random(17);
        try (Arena arena = Arena.ofConfined()) {
            long rowBytes = (long) cols / 32 * Q8_0Kernel.BLOCK_BYTES;
            MemorySegment w = weights(arena, rows * rowBytes, random);
            Activations a = new Activations();
            a.reserve(n, cols);
            for (int i = 0; i < n * cols; i++) a.x[i] = i % 97 == 0 ? 1e4f : random.nextFloat(-2f, 2f);
            a.prepare(Activations.Form.Q8_0);
            a.reservePasses(); // what CpuBackend prepares for the Q8_0 GEMM
            a.preparePassRows(0, n);
            MemorySegment out = arena.allocate(4L * n * rows, 64);
            float[][] scratch = {new float[cols]};
            WeightKernel kernel = new Q8_0Kernel();
            MatMulTask task = new MatMulTask(scratch);
            task.set(kernel, w, rowBytes, a, out, rows);
            assertEquals((rows + Q8_0Gemm.L - 1) / Q8_0Gemm.L, task.units(), "row groups, not rows");
            task.run(0, task.units(), 0);
            for (int t = 0; t < n; t++)
                for (int r = 0; r < rows; r++)
                    assertEquals(Float.floatToRawIntBits(kernel.dot(w, r * rowBytes, a, t, scratch[0])),
                            Float.floatToRawIntBits(out.getAtIndex(WeightKernel.F32, (long) t * rows + r)),
                            "token " + t + ", row " + r);

            // the repacked layout: the GEMM's panels read from it, and the one-token group kernel
            if (!Q8_0Repacked.supports(Q8_0Repacked.G, cols)) return;
            int groups = rows / Q8_0Repacked.G;
            MemorySegment rp = Q8_0Repacked.allocate(arena, (long) groups * Q8_0Repacked.G, cols);
            Q8_0Repacked.repack(w, rp, cols, 0, groups);
            MemorySegment packed = arena.allocate(4L * n * rows, 64);
            task.set(kernel, w, rowBytes, a, packed, rows);
            task.setRepacked(rp, RepackedFormat.Q8_0);
            task.run(0, task.units(), 0);
            for (long i = 0; i < (long) n * rows; i++)
                assertEquals(Float.floatToRawIntBits(out.getAtIndex(WeightKernel.F32, i)),
                        Float.floatToRawIntBits(packed.getAtIndex(WeightKernel.F32, i)), "GEMM from the repacked panel, output " + i);
            for (int t = 0; t < n; t++)
                for (int g = 0; g < groups; g++) {
                    Q8_0Repacked.gemv(rp, g, cols, a, t, packed, (long) g * Q8_0Repacked.G, scratch[0]);
                    for (int r = g * Q8_0Repacked.G; r < (g + 1) * Q8_0Repacked.G; r++)
                        assertEquals(Float.floatToRawIntBits(kernel.dot(w, r * rowBytes, a, t, scratch[0])),
                                Float.floatToRawIntBits(packed.getAtIndex(WeightKernel.F32, r)), "gemv token " + t + ", row " + r);
                }
        }
    }

    /** The float GEMM's panels ({@code -Daircela.cpu.q8prefill=float}) from the repacked layout equal those from the rows. */
    @Test
    void floatPanelsFromTheRepackedLayoutEqualTheRowOnes() {
        Assumptions.assumeTrue(VectorWidth.ENABLED, "scalar kernels only (aircela.vector.bits=0): no GEMM");
        int cols = 32 * 11, rows = 2 * PanelGemm.RW, n = PanelGemm.RT + 3;
        Assumptions.assumeTrue(Q8_0Repacked.supports(rows, cols), "no repacked Q8_0 at this vector width");
        Random random = new Random(23);
        try (Arena arena = Arena.ofConfined()) {
            long rowBytes = (long) cols / 32 * Q8_0Kernel.BLOCK_BYTES;
            MemorySegment w = weights(arena, rows * rowBytes, random);
            Activations a = new Activations();
            a.reserve(n, cols);
            for (int i = 0; i < n * cols; i++) a.x[i] = random.nextFloat(-2f, 2f);
            a.prepare(Activations.Form.Q8_0);
            a.prepareTiles(Activations.Form.Q8_0);
            MemorySegment rp = Q8_0Repacked.allocate(arena, rows, cols);
            Q8_0Repacked.repack(w, rp, cols, 0, rows / Q8_0Repacked.G);
            MemorySegment plain = arena.allocate(4L * n * rows, 64), packed = arena.allocate(4L * n * rows, 64);
            float[] scratch = new float[PanelGemm.scratchFloats(cols)];
            WeightKernel kernel = new Q8_0Kernel();
            for (int r0 = 0; r0 < rows; r0 += PanelGemm.RW) {
                PanelGemm.group(kernel, w, rowBytes, null, a, r0, plain, rows, scratch);
                PanelGemm.group(kernel, w, rowBytes, rp, a, r0, packed, rows, scratch);
            }
            for (long i = 0; i < (long) n * rows; i++)
                assertEquals(Float.floatToRawIntBits(plain.getAtIndex(WeightKernel.F32, i)),
                        Float.floatToRawIntBits(packed.getAtIndex(WeightKernel.F32, i)), "output " + i);
        }
    }

    /** {@code bytes} of random Q8_0 blocks with scales in [-0.05, 0.05). */
    private static MemorySegment weights(Arena arena, long bytes, Random random) {
        MemorySegment w = arena.allocate(bytes, 64);
        for (long i = 0; i < w.byteSize(); i++) w.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        for (long b = 0; b < w.byteSize(); b += Q8_0Kernel.BLOCK_BYTES)
            w.set(HALF, b, Float.floatToFloat16(random.nextFloat(-0.05f, 0.05f)));
        return w;
    }
}
