package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The K-quant kernels (Q8_K activations): vector against scalar twin (bit-identical: only integer sums are
 * vectorized, the float steps are the same), the scalar twins against ggml's reference {@code dequantize_row_*}
 * written out again here and dotted in double with the dequantized Q8_K activations, and {@code quantize_row_q8_K}.
 */
class KQuantKernelTwinTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int COLS = 256 * 3;

    private final Random random = new Random(7);

    private MemorySegment randomBlocks(Arena arena, int blockBytes, int... halfOffsets) {
        byte[] bytes = new byte[COLS / 256 * blockBytes];
        random.nextBytes(bytes);
        MemorySegment s = arena.allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, s, 0, bytes.length);
        for (int b = 0; b < COLS / 256; b++)
            for (int o : halfOffsets) s.set(HALF, (long) b * blockBytes + o, Float.floatToFloat16(random.nextFloat(0.001f, 0.02f)));
        return s;
    }

    private Activations activations() {
        Activations a = new Activations();
        a.reserve(2, COLS);
        for (int i = 0; i < 2 * COLS; i++) a.x[i] = random.nextFloat(-2f, 2f);
        a.prepare(Activations.Form.Q8_K);
        return a;
    }

    /** Asserts twin agreement and closeness to {@code sum w_i * d * q_i} in double, for both activation rows. */
    private void check(String name, MemorySegment w, float[] weights, Activations a, Kernel scalar, Kernel vector) {
        for (int row = 0; row < 2; row++) {
            int xo = row * COLS;
            double ref = 0, terms = 0;
            for (int i = 0; i < COLS; i++) {
                int[] q8 = ggmlQ8K(a.x, xo + i / 256 * 256);
                double t = (double) weights[i] * ggmlQ8KScale(a.x, xo + i / 256 * 256) * q8[i % 256];
                ref += t;
                terms += Math.abs(t);
            }
            float s = scalar.dot(w, a, xo), v = vector.dot(w, a, xo);
            assertEquals(ref, s, 1e-5 * terms, "scalar twin vs ggml's " + name + " x q8_K");
            assertEquals(s, v, name + ": vector and scalar twins do the same float steps: bit-identical");
        }
    }

    interface Kernel {
        float dot(MemorySegment w, Activations a, int xo);
    }

    @Test
    void q4_KMatchesGgml() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 144, 0, 2);
            Activations a = activations();
            check("q4_K", w, dequantizeQ4K(w), a,
                    (m, x, xo) -> Q4_KKernel.dotScalar(m, 0, x.q, x.d, x.bsums, xo, COLS),
                    (m, x, xo) -> Q4_KKernel.dotVector(m, 0, x.qs, x.d, x.bsums, xo, COLS));
            float[] row = new float[COLS];
            new Q4_KKernel().dequantizeRow(w, 0, row, 0, COLS);
            assertArrayEquals(dequantizeQ4K(w), row, 1e-6f);
        }
    }

    /**
     * The Q4_K vector kernel's short lanes at their bounds: nibbles 15, scales and mins 63, activations -128 and
     * 127 (quantization never makes -128, the kernel must still be exact), all alike and mixed; twins bit-identical.
     */
    @Test
    void q4_KExtremesAreExact() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 144, 0, 2);
            MemorySegment full = randomBlocks(arena, 144, 0, 2);
            for (int b = 0; b < COLS / 256; b++) full.asSlice(144L * b + 4, 140).fill((byte) 0xFF);
            int[][] patterns = {{-128}, {127}, {-128, 127}, {127, -128, -128, 127, 0}};
            for (int[] pattern : patterns) {
                Activations a = extremeActivations(pattern);
                for (MemorySegment m : new MemorySegment[]{full, w}) {
                    float s = Q4_KKernel.dotScalar(m, 0, a.q, a.d, a.bsums, 0, COLS);
                    float v = Q4_KKernel.dotVector(m, 0, a.qs, a.d, a.bsums, 0, COLS);
                    assertEquals(s, v, "q4_K at the bounds, pattern " + java.util.Arrays.toString(pattern));
                }
            }
        }
    }

    @Test
    void q5_KMatchesGgml() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 176, 0, 2);
            Activations a = activations();
            check("q5_K", w, dequantizeQ5K(w), a,
                    (m, x, xo) -> Q5_KKernel.dotScalar(m, 0, x.q, x.d, x.bsums, xo, COLS, new float[8]),
                    (m, x, xo) -> Q5_KKernel.dotVector(m, 0, x.qs, x.d, x.bsums, xo, COLS, new float[8]));
            float[] row = new float[COLS];
            new Q5_KKernel().dequantizeRow(w, 0, row, 0, COLS);
            assertArrayEquals(dequantizeQ5K(w), row, 1e-6f);
        }
    }

    /**
     * The Q5_K vector kernel's short lanes at their bounds: 5-bit values 31 (all bits set), scales and mins 63,
     * activations -128 and 127, alike and mixed, and random rows with random activations; twins bit-identical.
     */
    @Test
    void q5_KExtremesAreExact() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment full = randomBlocks(arena, 176, 0, 2);
            for (int b = 0; b < COLS / 256; b++) full.asSlice(176L * b + 4, 172).fill((byte) 0xFF);
            MemorySegment[] rows = new MemorySegment[6];
            rows[0] = full;
            for (int r = 1; r < rows.length; r++) rows[r] = randomBlocks(arena, 176, 0, 2);
            int[][] patterns = {{-128}, {127}, {-128, 127}, {127, -128, -128, 127, 0}, {-128, -128, -128, 127, 5}};
            for (int[] pattern : patterns) {
                Activations a = extremeActivations(pattern);
                for (MemorySegment m : rows) {
                    float s = Q5_KKernel.dotScalar(m, 0, a.q, a.d, a.bsums, 0, COLS, new float[8]);
                    float v = Q5_KKernel.dotVector(m, 0, a.qs, a.d, a.bsums, 0, COLS, new float[8]);
                    assertEquals(s, v, "q5_K at the bounds, pattern " + java.util.Arrays.toString(pattern));
                }
            }
            for (int t = 0; t < 20; t++) {
                Activations a = activations();
                MemorySegment m = randomBlocks(arena, 176, 0, 2);
                for (int xo = 0; xo < 2 * COLS; xo += COLS)
                    assertEquals(Q5_KKernel.dotScalar(m, 0, a.q, a.d, a.bsums, xo, COLS, new float[8]),
                            Q5_KKernel.dotVector(m, 0, a.qs, a.d, a.bsums, xo, COLS, new float[8]), "q5_K random " + t);
            }
        }
    }

    /**
     * The Q6_K vector kernel at the bounds: 6-bit values 63 with scales -128, 6-bit 0 with scales 127, 63 with 127,
     * activations -128 and 127 alike and mixed, and random rows and activations; twins bit-identical.
     */
    @Test
    void q6_KExtremesAreExact() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] rows = new MemorySegment[6];
            for (int r = 0; r < rows.length; r++) rows[r] = randomBlocks(arena, 210, 208);
            for (int b = 0; b < COLS / 256; b++) {
                rows[0].asSlice(210L * b, 192).fill((byte) 0xFF);
                rows[0].asSlice(210L * b + 192, 16).fill((byte) 0x80);
                rows[1].asSlice(210L * b, 192).fill((byte) 0);
                rows[1].asSlice(210L * b + 192, 16).fill((byte) 127);
                rows[2].asSlice(210L * b, 192).fill((byte) 0xFF);
                rows[2].asSlice(210L * b + 192, 16).fill((byte) 127);
            }
            int[][] patterns = {{-128}, {127}, {-128, 127}, {127, -128, -128, 127, 0}, {-128, -128, -128, 127, 5}};
            for (int[] pattern : patterns) {
                Activations a = extremeActivations(pattern);
                for (MemorySegment m : rows) {
                    float s = Q6_KKernel.dotScalar(m, 0, a.q, a.d, a.bsums, 0, COLS, new float[8]);
                    float v = Q6_KKernel.dotVector(m, 0, a.qs, a.d, a.bsums, 0, COLS, new float[8]);
                    assertEquals(s, v, "q6_K at the bounds, pattern " + java.util.Arrays.toString(pattern));
                }
            }
            for (int t = 0; t < 20; t++) {
                Activations a = activations();
                MemorySegment m = randomBlocks(arena, 210, 208);
                for (int xo = 0; xo < 2 * COLS; xo += COLS)
                    assertEquals(Q6_KKernel.dotScalar(m, 0, a.q, a.d, a.bsums, xo, COLS, new float[8]),
                            Q6_KKernel.dotVector(m, 0, a.qs, a.d, a.bsums, xo, COLS, new float[8]), "q6_K random " + t);
            }
        }
    }

    /** One row of {@link #COLS} Q8_K activations repeating {@code pattern}, scales 0.01 (b + 1). */
    static Activations extremeActivations(int[] pattern) {
        Activations a = new Activations();
        a.reserve(1, COLS);
        for (int i = 0; i < COLS; i++) {
            int q = pattern[i % pattern.length];
            a.q[i] = q;
            a.qb[i] = (byte) q;
            a.qs[i] = (short) q;
        }
        for (int g = 0; g < COLS / 16; g++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += a.qb[16 * g + j];
            a.bsums[g] = sum;
        }
        for (int b = 0; b < COLS / 256; b++) a.d[b] = 0.01f * (b + 1);
        return a;
    }

    @Test
    void q6_KMatchesGgml() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 210, 208);
            Activations a = activations();
            check("q6_K", w, dequantizeQ6K(w), a,
                    (m, x, xo) -> Q6_KKernel.dotScalar(m, 0, x.q, x.d, x.bsums, xo, COLS, new float[8]),
                    (m, x, xo) -> Q6_KKernel.dotVector(m, 0, x.qs, x.d, x.bsums, xo, COLS, new float[8]));
            float[] row = new float[COLS];
            new Q6_KKernel().dequantizeRow(w, 0, row, 0, COLS);
            assertArrayEquals(dequantizeQ6K(w), row, 1e-6f);
        }
    }

    @Test
    void q8_KQuantizationIsGgmls() {
        Activations a = activations();
        for (int b = 0; b < 2 * COLS / 256; b++) {
            int[] q = ggmlQ8K(a.x, 256 * b);
            for (int j = 0; j < 256; j++) assertEquals(q[j], (int) a.q[256 * b + j]);
            for (int j = 0; j < 256; j++) assertEquals(q[j], a.qb[256 * b + j]);
            for (int j = 0; j < 256; j++) assertEquals(q[j], a.qs[256 * b + j]);
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int j = 0; j < 16; j++) sum += q[16 * g + j];
                assertEquals(sum, a.bsums[16 * b + g]);
            }
            assertEquals(ggmlQ8KScale(a.x, 256 * b), a.d[b]);
        }
        // The signed max fixes the scale: max = +127 gives iscale = -1, d = -1, q = -x; ties round half to even.
        Activations t = new Activations();
        t.reserve(1, 256);
        t.x[0] = 127f;
        t.x[1] = 2.5f;
        t.x[2] = -3.5f;
        t.x[3] = -127f; // same magnitude, later: does not replace the first
        t.prepare(Activations.Form.Q8_K);
        assertEquals(-1f, t.d[0]);
        assertEquals(-127f, t.q[0]);
        assertEquals(-2f, t.q[1]);
        assertEquals(4f, t.q[2]);
        assertEquals(127f, t.q[3]);
        assertEquals(-127 - 2 + 4 + 127, t.bsums[0]);
    }

    // ---- ggml's reference code, written out again ----

    /** quantize_row_q8_K_ref: q of the 256-block at x[o]. */
    private static int[] ggmlQ8K(float[] x, int o) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) if (Math.abs(x[o + j]) > amax) { amax = Math.abs(x[o + j]); max = x[o + j]; }
        int[] q = new int[256];
        if (amax == 0) return q;
        float iscale = -127f / max;
        for (int j = 0; j < 256; j++) {
            float v = iscale * x[o + j] + 12582912f; // nearest_int
            q[j] = Math.min(127, (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000);
        }
        return q;
    }

    private static float ggmlQ8KScale(float[] x, int o) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) if (Math.abs(x[o + j]) > amax) { amax = Math.abs(x[o + j]); max = x[o + j]; }
        return amax == 0 ? 0 : 1 / (-127f / max);
    }

    private static int u8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /** get_scale_min_k4: {scale, min} of sub-block j from the 12 bytes at q. */
    private static int[] scaleMinK4(MemorySegment w, long q, int j) {
        if (j < 4) return new int[]{u8(w, q + j) & 63, u8(w, q + j + 4) & 63};
        return new int[]{(u8(w, q + j + 4) & 0xF) | ((u8(w, q + j - 4) >> 6) << 4),
                (u8(w, q + j + 4) >> 4) | ((u8(w, q + j) >> 6) << 4)};
    }

    private static float[] dequantizeQ4K(MemorySegment w) {
        float[] y = new float[COLS];
        for (int i = 0; i < COLS / 256; i++) {
            long b = 144L * i;
            float d = Float.float16ToFloat(w.get(HALF, b)), min = Float.float16ToFloat(w.get(HALF, b + 2));
            for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
                int[] sm1 = scaleMinK4(w, b + 4, is), sm2 = scaleMinK4(w, b + 4, is + 1);
                for (int l = 0; l < 32; l++) {
                    int q = u8(w, b + 16 + j / 2 + l);
                    y[256 * i + j + l] = d * sm1[0] * (q & 0xF) - min * sm1[1];
                    y[256 * i + j + 32 + l] = d * sm2[0] * (q >> 4) - min * sm2[1];
                }
            }
        }
        return y;
    }

    private static float[] dequantizeQ5K(MemorySegment w) {
        float[] y = new float[COLS];
        for (int i = 0; i < COLS / 256; i++) {
            long b = 176L * i;
            float d = Float.float16ToFloat(w.get(HALF, b)), min = Float.float16ToFloat(w.get(HALF, b + 2));
            int u1 = 1, u2 = 2;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, u1 <<= 2, u2 <<= 2) {
                int[] sm1 = scaleMinK4(w, b + 4, is), sm2 = scaleMinK4(w, b + 4, is + 1);
                for (int l = 0; l < 32; l++) {
                    int ql = u8(w, b + 48 + j / 2 + l), qh = u8(w, b + 16 + l);
                    y[256 * i + j + l] = d * sm1[0] * ((ql & 0xF) + ((qh & u1) != 0 ? 16 : 0)) - min * sm1[1];
                    y[256 * i + j + 32 + l] = d * sm2[0] * ((ql >> 4) + ((qh & u2) != 0 ? 16 : 0)) - min * sm2[1];
                }
            }
        }
        return y;
    }

    private static float[] dequantizeQ6K(MemorySegment w) {
        float[] y = new float[COLS];
        for (int i = 0; i < COLS / 256; i++) {
            long b = 210L * i;
            float d = Float.float16ToFloat(w.get(HALF, b + 208));
            for (int n = 0; n < 2; n++) {
                long ql = b + 64L * n, qh = b + 128 + 32L * n, sc = b + 192 + 8L * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16, h = u8(w, qh + l);
                    int q1 = ((u8(w, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((u8(w, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = ((u8(w, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = ((u8(w, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    int o = 256 * i + 128 * n + l;
                    y[o] = d * w.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    y[o + 32] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    y[o + 64] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    y[o + 96] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                }
            }
        }
        return y;
    }
}
