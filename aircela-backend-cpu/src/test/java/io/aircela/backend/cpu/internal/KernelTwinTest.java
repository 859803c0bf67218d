package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every vector kernel against its scalar twin, and the scalar twins against an independent rendering of
 * ggml's reference dot products (Q8 activations, integer sums per block) computed here in double.
 * Blocks are built by hand, so these tests need no dequantizer.
 */
class KernelTwinTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int COLS = 32 * 7;

    private final Random random = new Random(42);

    private MemorySegment randomBlocks(Arena arena, int blockBytes, int[] halfOffsets) {
        MemorySegment s = randomBytes(arena, (long) COLS / 32 * blockBytes);
        for (int b = 0; b < COLS / 32; b++)
            for (int o : halfOffsets) s.set(HALF, (long) b * blockBytes + o, Float.floatToFloat16(random.nextFloat(0.001f, 0.05f)));
        return s;
    }

    private Activations activations(Activations.Form form) {
        Activations a = new Activations();
        a.reserve(2, COLS);
        for (int i = 0; i < 2 * COLS; i++) a.x[i] = random.nextFloat(-2f, 2f);
        a.prepare(form);
        return a;
    }

    /** |vector - scalar| <= 1e-5 * sum |terms|: the two only reassociate float sums. */
    private static void assertTwins(float scalar, float vector, double scaleOfTerms) {
        assertEquals(scalar, vector, 1e-5 * scaleOfTerms + 1e-6, "vector twin differs from scalar twin");
    }

    @Test
    void q8_0VectorMatchesScalarAndGgmlReference() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 34, new int[]{0});
            Activations a = activations(Activations.Form.Q8_0);
            for (int row = 0; row < 2; row++) {
                int xo = row * COLS;
                float s = Q8_0Kernel.dotScalar(w, 0, a.q, a.d, xo, COLS, new float[8]);
                float v = Q8_0Kernel.dotVector(w, 0, a.qb, a.d, xo, COLS, new float[8]);
                double ref = 0, terms = 0;
                for (int b = 0; b < COLS / 32; b++) {
                    long sumi = 0;
                    for (int j = 0; j < 32; j++) sumi += w.get(ValueLayout.JAVA_BYTE, b * 34L + 2 + j) * ggmlQ(a.x, xo + b * 32, j);
                    double scale = (double) Float.float16ToFloat(w.get(HALF, b * 34L)) * ggmlD(a.x, xo + b * 32);
                    ref += sumi * scale;
                    terms += Math.abs(sumi * scale);
                }
                assertEquals(ref, s, 1e-5 * terms, "scalar twin vs ggml's q8_0 x q8_0");
                assertEquals(s, v, "vector and scalar twins add in the same order: bit-identical");
            }
        }
    }

    /**
     * The sixteen-blocks-at-a-time path of {@link Q4_0Kernel#dotVector} (plus its per-block tail: 37 blocks) against
     * the scalar twin, bit for bit: random rows, and rows of all-15 or all-0 nibbles times activations that saturate
     * at +-127 (the largest short partial sums), with normal and subnormal fp16 scales.
     */
    @Test
    void q4_0SixteenBlockPathIsBitIdenticalToScalar() {
        int cols = 32 * 37, nb = cols / 32, rows = 12, n = 3;
        long rowBytes = (long) nb * Q4_0Kernel.BLOCK_BYTES;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBytes(arena, rows * rowBytes);
            for (int r = 0; r < rows; r++)
                for (int b = 0; b < nb; b++) {
                    long o = r * rowBytes + (long) b * Q4_0Kernel.BLOCK_BYTES;
                    if (r == 1 || r == 2) // all nibbles 15, all 0
                        for (int j = 0; j < 16; j++) w.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (r == 1 ? 0xFF : 0));
                    // row 3: subnormal fp16 scales
                    float d = r == 3 ? random.nextFloat(1e-7f, 6e-5f) : random.nextFloat(-0.05f, 0.05f);
                    w.set(HALF, o, Float.floatToFloat16(d));
                }
            Activations a = saturating(cols, Activations.Form.Q8_0);
            float[] tmp = new float[Q4_0Kernel.TMP_FLOATS];
            for (int r = 0; r < rows; r++)
                for (int x = 0; x < n; x++) {
                    float s = Q4_0Kernel.dotScalar(w, r * rowBytes, a.q, a.d, x * cols, cols);
                    float v = Q4_0Kernel.dotVector(w, r * rowBytes, a.q, a.qs, a.d, a.sums, x * cols, cols, tmp);
                    assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v), "row " + r + ", x row " + x);
                }
            float[] small = new float[Q4_0Kernel.TMP_FLOATS - 1]; // too small a scratch: the per-block kernel
            assertEquals(Float.floatToRawIntBits(Q4_0Kernel.dotScalar(w, rowBytes, a.q, a.d, cols, cols)),
                    Float.floatToRawIntBits(
                            Q4_0Kernel.dotVector(w, rowBytes, a.q, a.qs, a.d, a.sums, cols, cols, small)));
        }
    }

    @Test
    void q4_0VectorMatchesScalarAndGgmlReference() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 18, new int[]{0});
            Activations a = activations(Activations.Form.Q8_0);
            int xo = COLS;
            float s = Q4_0Kernel.dotScalar(w, 0, a.q, a.d, xo, COLS);
            float v = Q4_0Kernel.dotVector(w, 0, a.q, a.qs, a.d, a.sums, xo, COLS, new float[Q4_0Kernel.TMP_FLOATS]);
            double ref = 0, terms = 0;
            for (int b = 0; b < COLS / 32; b++) {
                long sumi = 0;
                for (int j = 0; j < 16; j++) {
                    int p = w.get(ValueLayout.JAVA_BYTE, b * 18L + 2 + j) & 0xFF;
                    sumi += ((p & 15) - 8) * ggmlQ(a.x, xo + b * 32, j) + ((p >> 4) - 8) * ggmlQ(a.x, xo + b * 32, j + 16);
                }
                double scale = (double) Float.float16ToFloat(w.get(HALF, b * 18L)) * ggmlD(a.x, xo + b * 32);
                ref += sumi * scale;
                terms += Math.abs(sumi * scale);
            }
            assertEquals(ref, s, 1e-5 * terms, "scalar twin vs ggml's q4_0 x q8_0");
            assertEquals(s, v, "vector and scalar twins: exact block sums, the same fma order: bit-identical");
        }
    }

    @Test
    void q4_1VectorMatchesScalarAndGgmlReference() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 20, new int[]{0, 2});
            Activations a = activations(Activations.Form.Q8_1);
            float s = Q4_1Kernel.dotScalar(w, 0, a.q, a.d, a.s, 0, COLS, new float[8]);
            float v = Q4_1Kernel.dotVector(w, 0, a.qs, a.qb, a.d, a.s, 0, COLS, new float[8]);
            double ref = 0, terms = 0;
            for (int b = 0; b < COLS / 32; b++) {
                long sumi = 0, sumq = 0;
                for (int j = 0; j < 16; j++) {
                    int p = w.get(ValueLayout.JAVA_BYTE, b * 20L + 4 + j) & 0xFF;
                    sumi += (p & 15) * ggmlQ(a.x, b * 32, j) + (p >> 4) * ggmlQ(a.x, b * 32, j + 16);
                }
                for (int j = 0; j < 32; j++) sumq += ggmlQ(a.x, b * 32, j);
                float dx = (float) ggmlDUnrounded(a.x, b * 32);
                double sx = Float.float16ToFloat(Float.floatToFloat16(sumq * dx)); // ggml: y.s = fp16(sum * d)
                double dd = (double) Float.float16ToFloat(w.get(HALF, b * 20L)) * ggmlD(a.x, b * 32);
                double m = Float.float16ToFloat(w.get(HALF, b * 20L + 2));
                ref += dd * sumi + m * sx;
                terms += Math.abs(dd * sumi) + Math.abs(m * sx);
            }
            assertEquals(ref, s, 1e-5 * terms, "scalar twin vs ggml's q4_1 x q8_1");
            assertEquals(s, v, "vector and scalar twins add in the same order: bit-identical");
        }
    }

    /**
     * {@link Q5_0Kernel#dotVector}'s two-block path (and its per-block tail: 37 blocks, and the last row's final
     * pair, whose 64-byte load would run past the segment) against the scalar twin, bit for bit: random rows, and
     * rows of all bits set (weights 15) or none (weights -16) times activations that saturate at +-127, with normal
     * and subnormal fp16 scales; also cols = 64 (one pair) and 32 (no pair).
     */
    @Test
    void q5_0PairPathIsBitIdenticalToScalar() {
        for (int cols : new int[]{32 * 37, 32 * 128, 64, 32}) {
            int nb = cols / 32, rows = 12, n = 3;
            long rowBytes = (long) nb * Q5_0Kernel.BLOCK_BYTES;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment w = randomBytes(arena, rows * rowBytes);
                for (int r = 0; r < rows; r++)
                    for (int b = 0; b < nb; b++) {
                        long o = r * rowBytes + (long) b * Q5_0Kernel.BLOCK_BYTES;
                        if (r == 1 || r == 2) // all bits set, none
                            for (int j = 2; j < 22; j++) w.set(ValueLayout.JAVA_BYTE, o + j, (byte) (r == 1 ? 0xFF : 0));
                        if (r == 4) // 5th bits only
                            for (int j = 2; j < 22; j++) w.set(ValueLayout.JAVA_BYTE, o + j, (byte) (j < 6 ? 0xFF : 0));
                        float d = r == 3 ? random.nextFloat(1e-7f, 6e-5f) : random.nextFloat(-0.05f, 0.05f);
                        w.set(HALF, o, Float.floatToFloat16(d));
                    }
                Activations a = saturating(cols, Activations.Form.Q8_0);
                for (int r = 0; r < rows; r++)
                    for (int x = 0; x < n; x++) {
                        float s = Q5_0Kernel.dotScalar(w, r * rowBytes, a.q, a.d, x * cols, cols, new float[8]);
                        float v = Q5_0Kernel.dotVector(w, r * rowBytes, a.qs, a.qb, a.d, x * cols, cols, new float[8]);
                        assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v),
                                "cols " + cols + ", row " + r + ", x row " + x);
                    }
            }
        }
    }

    interface RowDot {
        float dot(MemorySegment w, long off, Activations a, int xo, int cols);
    }

    /** As {@link #q5_0PairPathIsBitIdenticalToScalar}, for the Q8_1 kernels (fp16 d at 0, m at 2, data from 4). */
    private void q8_1PairPathIsBitIdentical(int blockBytes, RowDot scalar, RowDot vector) {
        for (int cols : new int[]{32 * 37, 32 * 128, 64, 32}) {
            int nb = cols / 32, rows = 12, n = 3;
            long rowBytes = (long) nb * blockBytes;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment w = randomBytes(arena, rows * rowBytes);
                for (int r = 0; r < rows; r++)
                    for (int b = 0; b < nb; b++) {
                        long o = r * rowBytes + (long) b * blockBytes;
                        if (r == 1 || r == 2) // all bits set, none
                            for (int j = 4; j < blockBytes; j++) w.set(ValueLayout.JAVA_BYTE, o + j, (byte) (r == 1 ? 0xFF : 0));
                        if (r == 4 && blockBytes == 24) // 5th bits only
                            for (int j = 4; j < 24; j++) w.set(ValueLayout.JAVA_BYTE, o + j, (byte) (j < 8 ? 0xFF : 0));
                        float d = r == 3 ? random.nextFloat(1e-7f, 6e-5f) : random.nextFloat(-0.05f, 0.05f);
                        w.set(HALF, o, Float.floatToFloat16(d));
                        w.set(HALF, o + 2, Float.floatToFloat16(random.nextFloat(-0.5f, 0.5f)));
                    }
                Activations a = saturating(cols, Activations.Form.Q8_1);
                for (int r = 0; r < rows; r++)
                    for (int x = 0; x < n; x++) {
                        float s = scalar.dot(w, r * rowBytes, a, x * cols, cols);
                        float v = vector.dot(w, r * rowBytes, a, x * cols, cols);
                        assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v),
                                "cols " + cols + ", row " + r + ", x row " + x);
                    }
            }
        }
    }

    @Test
    void q5_1PairPathIsBitIdenticalToScalar() {
        q8_1PairPathIsBitIdentical(Q5_1Kernel.BLOCK_BYTES,
                (w, off, a, xo, cols) -> Q5_1Kernel.dotScalar(w, off, a.q, a.d, a.s, xo, cols, new float[8]),
                (w, off, a, xo, cols) -> Q5_1Kernel.dotVector(w, off, a.qs, a.qb, a.d, a.s, xo, cols, new float[8]));
    }

    @Test
    void q4_1PairPathIsBitIdenticalToScalar() {
        q8_1PairPathIsBitIdentical(Q4_1Kernel.BLOCK_BYTES,
                (w, off, a, xo, cols) -> Q4_1Kernel.dotScalar(w, off, a.q, a.d, a.s, xo, cols, new float[8]),
                (w, off, a, xo, cols) -> Q4_1Kernel.dotVector(w, off, a.qs, a.qb, a.d, a.s, xo, cols, new float[8]));
    }

    @Test
    void q5_0VectorMatchesScalarAndGgmlReference() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 22, new int[]{0});
            Activations a = activations(Activations.Form.Q8_0);
            for (int row = 0; row < 2; row++) {
                int xo = row * COLS;
                float s = Q5_0Kernel.dotScalar(w, 0, a.q, a.d, xo, COLS, new float[8]);
                float v = Q5_0Kernel.dotVector(w, 0, a.qs, a.qb, a.d, xo, COLS, new float[8]);
                double ref = 0, terms = 0;
                for (int b = 0; b < COLS / 32; b++) {
                    long sumi = 0;
                    int qh = w.get(ValueLayout.JAVA_INT_UNALIGNED, b * 22L + 2);
                    for (int j = 0; j < 16; j++) { // dequantize_row_q5_0, written out
                        int p = w.get(ValueLayout.JAVA_BYTE, b * 22L + 6 + j) & 0xFF;
                        int x0 = ((p & 15) | ((qh >> j) << 4 & 0x10)) - 16;
                        int x1 = ((p >> 4) | ((qh >> (j + 12)) & 0x10)) - 16;
                        sumi += x0 * ggmlQ(a.x, xo + b * 32, j) + x1 * ggmlQ(a.x, xo + b * 32, j + 16);
                    }
                    double scale = (double) Float.float16ToFloat(w.get(HALF, b * 22L)) * ggmlD(a.x, xo + b * 32);
                    ref += sumi * scale;
                    terms += Math.abs(sumi * scale);
                }
                assertEquals(ref, s, 1e-5 * terms, "scalar twin vs ggml's q5_0 x q8_0");
                assertEquals(s, v, "vector and scalar twins add in the same order: bit-identical");
            }
        }
    }

    @Test
    void q5_1VectorMatchesScalarAndGgmlReference() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = randomBlocks(arena, 24, new int[]{0, 2});
            Activations a = activations(Activations.Form.Q8_1);
            for (int row = 0; row < 2; row++) {
                int xo = row * COLS;
                float s = Q5_1Kernel.dotScalar(w, 0, a.q, a.d, a.s, xo, COLS, new float[8]);
                float v = Q5_1Kernel.dotVector(w, 0, a.qs, a.qb, a.d, a.s, xo, COLS, new float[8]);
                double ref = 0, terms = 0;
                for (int b = 0; b < COLS / 32; b++) {
                    long sumi = 0, sumq = 0;
                    int qh = w.get(ValueLayout.JAVA_INT_UNALIGNED, b * 24L + 4);
                    for (int j = 0; j < 16; j++) { // dequantize_row_q5_1, written out
                        int p = w.get(ValueLayout.JAVA_BYTE, b * 24L + 8 + j) & 0xFF;
                        int x0 = (p & 15) | ((qh >> j) << 4 & 0x10);
                        int x1 = (p >> 4) | ((qh >> (j + 12)) & 0x10);
                        sumi += x0 * ggmlQ(a.x, xo + b * 32, j) + x1 * ggmlQ(a.x, xo + b * 32, j + 16);
                    }
                    for (int j = 0; j < 32; j++) sumq += ggmlQ(a.x, xo + b * 32, j);
                    double sx = Float.float16ToFloat(Float.floatToFloat16(sumq * (float) ggmlDUnrounded(a.x, xo + b * 32)));
                    double dd = (double) Float.float16ToFloat(w.get(HALF, b * 24L)) * ggmlD(a.x, xo + b * 32);
                    double m = Float.float16ToFloat(w.get(HALF, b * 24L + 2));
                    ref += dd * sumi + m * sx;
                    terms += Math.abs(dd * sumi) + Math.abs(m * sx);
                }
                assertEquals(ref, s, 1e-5 * terms, "scalar twin vs ggml's q5_1 x q8_1");
                assertEquals(s, v, "vector and scalar twins add in the same order: bit-identical");
            }
        }
    }

    @Test
    void f32AndF16VectorMatchScalar() {
        try (Arena arena = Arena.ofConfined()) {
            int cols = 203; // not a multiple of any vector width: exercises the tails
            MemorySegment w32 = arena.allocate(4L * cols);
            MemorySegment w16 = arena.allocate(2L * cols);
            float[] x = new float[cols];
            double terms = 0;
            for (int i = 0; i < cols; i++) {
                float f = random.nextFloat(-1f, 1f);
                w32.setAtIndex(WeightKernel.F32, i, f);
                w16.setAtIndex(HALF, i, Float.floatToFloat16(f));
                x[i] = Activations.half(random.nextFloat(-1f, 1f));
                terms += Math.abs(f * x[i]);
            }
            assertTwins(F32Kernel.dotScalar(w32, 0, x, 0, cols), F32Kernel.dotVector(w32, 0, x, 0, cols), terms);
            assertTwins(F16Kernel.dotScalar(w16, 0, x, 0, cols), F16Kernel.dotVector(w16, 0, x, 0, cols, new float[cols]),
                    terms);
        }
    }

    @Test
    void activationQuantizationIsGgmls() {
        Activations a = new Activations();
        a.reserve(1, 32);
        for (int j = 0; j < 32; j++) a.x[j] = j - 16.5f; // amax 16.5 -> d = 16.5/127; exact halves appear
        a.x[0] = -127f * 0.25f; // amax 31.75, d = 0.25: x/d = j*4 - 66, exact integers
        a.x[1] = 0.125f;        // 0.5 step: a tie, x86 rounds half to even -> 0
        a.x[2] = -0.375f;       // -1.5 -> -2
        a.x[3] = 0.625f;        // 2.5 -> 2
        a.prepare(Activations.Form.Q8_1);
        assertEquals(0.25f, a.d[0]);
        assertEquals(-127f, a.q[0]);
        assertEquals(0f, a.q[1]);
        assertEquals(-2f, a.q[2]);
        assertEquals(2f, a.q[3]);
        assertEquals(2, a.qb[3]);
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += (int) a.q[j];
        assertEquals(Activations.half(sum * 0.25f), a.s[0]);
    }

    /** ggml's x86 quantize_row_q8_0, written out again: q_j of the block starting at x[o]. */
    private static int ggmlQ(float[] x, int o, int j) {
        float amax = 127f * (float) ggmlDUnrounded(x, o) == 0f ? 0f : amax(x, o);
        float id = amax != 0 ? 127f / amax : 0f;
        return (int) Math.rint(x[o + j] * id);
    }

    private static float amax(float[] x, int o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        return amax;
    }

    private static double ggmlDUnrounded(float[] x, int o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        return amax / 127f;
    }

    private static double ggmlD(float[] x, int o) {
        return Float.float16ToFloat(Float.floatToFloat16((float) ggmlDUnrounded(x, o)));
    }

    /** {@code size} random bytes in a native segment of {@code arena}. */
    private MemorySegment randomBytes(Arena arena, long size) {
        byte[] bytes = new byte[Math.toIntExact(size)];
        random.nextBytes(bytes);
        MemorySegment w = arena.allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, w, 0, bytes.length);
        return w;
    }

    /** Three activation rows of {@code cols} in {@code form}: random, then all +127, then all -127 (saturating). */
    private Activations saturating(int cols, Activations.Form form) {
        Activations a = new Activations();
        a.reserve(3, cols);
        for (int i = 0; i < 3 * cols; i++) a.x[i] = random.nextFloat(-2f, 2f);
        for (int i = cols; i < 2 * cols; i++) a.x[i] = i % 32 == 0 ? 2f : 1.99f; // row 1: all +127
        for (int i = 2 * cols; i < 3 * cols; i++) a.x[i] = i % 32 == 0 ? -2f : -1.99f; // row 2: all -127
        a.prepare(form);
        return a;
    }
}
