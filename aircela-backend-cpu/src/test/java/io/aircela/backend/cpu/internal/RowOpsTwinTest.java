package io.aircela.backend.cpu.internal;

import io.aircela.weights.RopeStyle;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.aircela.backend.cpu.internal.WeightKernel.F32;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RowOps' vector loops equal the scalar formulas bit for bit, and a range split (as the backend's workers make)
 * gives the same bits as one pass.
 */
class RowOpsTwinTest {
    private static void assertSameBits(float expected, float actual, String what) {
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), what + ": " + expected + " vs " + actual);
    }

    private static MemorySegment random(Arena arena, Random random, long n, float range) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(F32, i, random.nextFloat(-range, range));
        return s;
    }

    @Test
    void swiGluEqualsGgmlSiluTimesUp() {
        Random random = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (float range : new float[]{4f, 40f, 200f}) {
                int n = 1000 + random.nextInt(40);
                MemorySegment gate = random(arena, random, n, range), up = random(arena, random, n, 3f);
                gate.setAtIndex(F32, 0, -0f);
                gate.setAtIndex(F32, 1, Float.NEGATIVE_INFINITY);
                gate.setAtIndex(F32, 2, -88.5f);
                gate.setAtIndex(F32, 3, 100f);
                MemorySegment out = arena.allocate(4L * n, 64);
                RowOps.swiGlu(gate, up, out, 0, 37);
                RowOps.swiGlu(gate, up, out, 37, n);
                for (int i = 0; i < n; i++) {
                    float expected = GgmlMath.silu(gate.getAtIndex(F32, i)) * up.getAtIndex(F32, i);
                    assertSameBits(expected, out.getAtIndex(F32, i), "element " + i + " of range " + range);
                }
            }
        }
    }

    @Test
    void swiGluEqualsGgmlSiluOverASweepOfAllFloats() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 65536;
            MemorySegment gate = arena.allocate(4L * n, 64), up = arena.allocate(4L * n, 64), out = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                gate.setAtIndex(F32, i, Float.intBitsToFloat(i * 65521)); // every 65521st bit pattern, both signs
                up.setAtIndex(F32, i, 1.5f);
            }
            RowOps.swiGlu(gate, up, out, 0, n);
            for (int i = 0; i < n; i++) {
                float expected = GgmlMath.silu(gate.getAtIndex(F32, i)) * 1.5f;
                assertSameBits(expected, out.getAtIndex(F32, i), "silu(" + gate.getAtIndex(F32, i) + ")");
            }
        }
    }

    @Test
    void addEqualsTheScalarSumWithAndWithoutBroadcast() {
        Random random = new Random(4);
        try (Arena arena = Arena.ofConfined()) {
            int n = 333;
            MemorySegment a = random(arena, random, n, 5f), b = random(arena, random, n, 5f);
            for (long bCount : new long[]{n, 10, 1}) {
                MemorySegment out = arena.allocate(4L * n, 64);
                RowOps.add(a, b, out, 0, 100, bCount);
                RowOps.add(a, b, out, 100, n, bCount);
                for (int i = 0; i < n; i++)
                    assertSameBits(a.getAtIndex(F32, i) + b.getAtIndex(F32, i % bCount), out.getAtIndex(F32, i),
                            "element " + i + ", bCount " + bCount);
            }
        }
    }

    @Test
    void rmsNormEqualsGgmlsFormulaRowByRow() {
        Random random = new Random(6);
        try (Arena arena = Arena.ofConfined()) {
            for (int dim : new int[]{64, 77, 768}) {
                int rows = 5;
                MemorySegment x = random(arena, random, (long) rows * dim, 3f);
                float[] w = new float[dim];
                for (int i = 0; i < dim; i++) w[i] = random.nextFloat(-2f, 2f);
                MemorySegment out = arena.allocate(4L * rows * dim, 64);
                RowOps.rmsNorm(x, w, out, 0, 2, dim, 1e-5f);
                RowOps.rmsNorm(x, w, out, 2, rows, dim, 1e-5f);
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    for (int i = 0; i < dim; i++) {
                        float v = x.getAtIndex(F32, (long) r * dim + i);
                        sum += v * v;
                    }
                    float scale = 1.0f / (float) Math.sqrt((float) (sum / dim) + 1e-5f);
                    for (int i = 0; i < dim; i++) {
                        long o = (long) r * dim + i;
                        assertSameBits((x.getAtIndex(F32, o) * scale) * w[i], out.getAtIndex(F32, o), "row " + r + ", " + i);
                    }
                }
            }
        }
    }

    @Test
    void ropeSplitOverRowsEqualsOnePass() {
        Random random = new Random(8);
        try (Arena arena = Arena.ofConfined()) {
            int rows = 7, heads = 3, hd = 64;
            long n = (long) rows * heads * hd;
            MemorySegment whole = random(arena, random, n, 2f), split = arena.allocate(4 * n, 64);
            MemorySegment.copy(whole, 0, split, 0, 4 * n);
            float[] cos = new float[32], sin = new float[32];
            RowOps.rope(whole, 0, rows, heads, hd, 64, 5, 10000f, RopeStyle.NEOX, cos, sin);
            RowOps.rope(split, 0, 3, heads, hd, 64, 5, 10000f, RopeStyle.NEOX, cos, sin);
            RowOps.rope(split, 3, rows, heads, hd, 64, 5, 10000f, RopeStyle.NEOX, new float[32], new float[32]);
            for (long i = 0; i < n; i++) assertSameBits(whole.getAtIndex(F32, i), split.getAtIndex(F32, i), "element " + i);
        }
    }
}
