package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The attention's vector steps (softmax exponentials, max, weighted V sum) equal their scalar twins bit for bit. */
class AttentionKernelTwinTest {
    private static void assertSameBits(float expected, float actual, String what) {
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), what + ": " + expected + " vs " + actual);
    }

    private static void assertSameExps(float[] input, float max) {
        float[] vector = input.clone(), scalar = input.clone();
        double vs = AttentionTask.expChunksVector(vector, input.length, max);
        double ss = AttentionTask.expChunksScalar(scalar, 0, input.length, max, new float[GgmlMath.CHUNK]);
        for (int i = 0; i < input.length; i++) assertSameBits(scalar[i], vector[i], "expf(" + input[i] + " - " + max + ")");
        assertEquals(Double.doubleToLongBits(ss), Double.doubleToLongBits(vs), "sum of the chunks");
    }

    @Test
    void vectorExpEqualsGgmlExpOverASweepOfAllFloats() {
        Assumptions.assumeTrue(AttentionTask.KEYS16, "needs 16 float lanes");
        float[] s = new float[4096];
        int filled = 0;
        // every 1021st bit pattern: all exponents, both signs, subnormals, infinities and NaNs
        for (long bits = 0; bits <= 0xFFFFFFFFL; bits += 1021) {
            s[filled++] = Float.intBitsToFloat((int) bits);
            if (filled == s.length) {
                assertSameExps(s, 0f);
                filled = 0;
            }
        }
        float[] special = {0f, -0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, Float.MIN_VALUE,
                -87.33655f, -88.72284f, -103.27893f, -104f, -126f * 0.6931472f, -133.1f, -133.0778f, 88.72f, 88.7228f,
                89f, 133f, -0x1p22f, 0x1p22f, -0x1p23f, -1e30f, 1e30f, -1f, 1f, 0.5f, -0.5f, 0.34657359f, -0.34657359f};
        float[] padded = new float[32];
        System.arraycopy(special, 0, padded, 0, special.length);
        assertSameExps(padded, 0f);
    }

    @Test
    void vectorExpEqualsGgmlExpOnAttentionLikeScores() {
        Assumptions.assumeTrue(AttentionTask.KEYS16, "needs 16 float lanes");
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            float[] s = new float[16 * (1 + random.nextInt(8))];
            float spread = round % 3 == 0 ? 300f : 12f;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < s.length; i++) max = Math.max(max, s[i] = random.nextFloat(-spread, spread));
            assertSameExps(s, round % 5 == 0 ? 0f : max);
        }
        // values near the subnormal range, where scalb's single rounding matters
        for (int round = 0; round < 2000; round++) {
            float[] s = new float[16];
            for (int i = 0; i < s.length; i++) s[i] = random.nextFloat(-135f, -85f);
            assertSameExps(s, 0f);
        }
    }

    @Test
    void vectorMaxEqualsScalarMax() {
        Random random = new Random(11);
        for (int n = 1; n < 70; n++) {
            float[] s = new float[n];
            for (int i = 0; i < n; i++) s[i] = random.nextFloat(-10f, 10f);
            assertSameBits(AttentionTask.maxScalar(s, n), AttentionTask.maxVector(s, n), "n " + n);
            s[random.nextInt(n)] = -0f;
            java.util.Arrays.fill(s, 0, n, random.nextBoolean() ? -0f : 0f);
            s[random.nextInt(n)] = 0f;
            assertSameBits(AttentionTask.maxScalar(s, n), AttentionTask.maxVector(s, n), "signed zeros, n " + n);
            s[random.nextInt(n)] = Float.NaN;
            assertSameBits(AttentionTask.maxScalar(s, n), AttentionTask.maxVector(s, n), "NaN, n " + n);
        }
    }

    @Test
    void weightedSumInRegistersEqualsTheScalarSum() {
        Random random = new Random(5);
        int[] dims = {64, 128, 80, 16, 17, 5, 200, 256};
        try (Arena arena = Arena.ofConfined()) {
            for (int hd : dims) {
                for (int keys : new int[]{1, 7, 33}) {
                    int kvHeads = 2;
                    long kvStride = (long) kvHeads * hd;
                    MemorySegment v = arena.allocate(4L * keys * kvStride, 64);
                    for (long i = 0; i < keys * kvStride; i++) v.setAtIndex(WeightKernel.F32, i, random.nextFloat(-4f, 4f));
                    float[] p = new float[keys];
                    for (int t = 0; t < keys; t++) p[t] = random.nextFloat();
                    for (int kvh = 0; kvh < kvHeads; kvh++) {
                        float[] vector = new float[hd + 3], scalar = new float[hd + 3];
                        java.util.Arrays.fill(vector, 9f); // stale values from an earlier head must not leak in
                        AttentionTask.weightedSumVector(v, (long) kvh * hd, kvStride, p, keys, vector, hd);
                        AttentionTask.weightedSumScalar(v, (long) kvh * hd, kvStride, p, keys, scalar, hd);
                        for (int d = 0; d < hd; d++)
                            assertSameBits(scalar[d], vector[d], "hd " + hd + ", keys " + keys + ", lane " + d);
                    }
                }
            }
        }
    }
}
