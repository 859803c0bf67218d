package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link F16Kernel}'s integer-lane fp16 conversion against {@link Float#float16ToFloat} for every one of the 65536
 * halves (zeros, subnormals, normals, infinities, signalling and quiet NaNs, both signs): in {@code toFloats} (rows,
 * GetRows, the prefill panels) and inline in the decode dot.
 */
class F16ConversionTest {
    private static final int ALL = 1 << 16;

    @Test
    void toFloatsIsFloat16ToFloatBitForBitForEveryHalf() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * ALL);
            for (int h = 0; h < ALL; h++) w.setAtIndex(WeightKernel.F16, h, (short) h);
            for (int skip : new int[]{0, 3}) { // 3: vectors start at an odd half, the last few go through the tail
                float[] out = new float[ALL];
                F16Kernel.toFloats(w, 2L * skip, out, 1, ALL - skip - 1);
                for (int h = skip; h < ALL - 1; h++)
                    assertEquals(Integer.toHexString(Float.floatToRawIntBits(Float.float16ToFloat((short) h))),
                            Integer.toHexString(Float.floatToRawIntBits(out[h - skip + 1])), "half 0x" + Integer.toHexString(h));
            }
        }
    }

    /** Half h alone at lane h % 64 (zeros elsewhere) dotted with 1 there: the dot returns its value (zeros: unsigned). */
    @Test
    void dotVectorConvertsEveryHalfExactly() {
        int cols = 64; // a whole number of four-vector steps for every species: no scalar tail
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * cols);
            float[] x = new float[cols], tmp = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = Activations.half(0.25f * (i - 31));
            for (int h = 0; h < ALL; h++) {
                int p = h % cols;
                float saved = x[p];
                x[p] = 1f;
                w.setAtIndex(WeightKernel.F16, p, (short) h);
                float expected = Float.float16ToFloat((short) h), got = F16Kernel.dotVector(w, 0, x, 0, cols, tmp);
                if (expected == 0f) assertEquals(0f, Math.abs(got), "half 0x" + Integer.toHexString(h));
                else if (Float.isNaN(expected)) assertTrue(Float.isNaN(got), "half 0x" + Integer.toHexString(h));
                else assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got), "half 0x" + Integer.toHexString(h));
                w.setAtIndex(WeightKernel.F16, p, (short) 0);
                x[p] = saved;
            }
        }
    }
}
