package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * F16 weights: {@code ggml_fp16_t w; // 2 bytes, IEEE binary16, little-endian}. Like ggml, the
 * activations are rounded to fp16 first ({@link Activations.Form#HALF}); products accumulate in float.
 *
 * <p>The Vector API (JDK 25) has no fp16 lane conversion, so the vector code converts with integer lane
 * operations, exactly ({@link #toFloats}): for a half {@code h} sign-extended into an int lane,
 * {@code bits = (h << 13) & 0x8fffe000} puts the sign at bit 31 and exponent + mantissa at bits 27..13, i.e. a
 * float whose exponent is 112 too small; multiplying by 2^112 fixes it, and renormalizes subnormal halves (which
 * arrive as subnormal floats) on the way. Infinity and NaN lanes (exponent 31) get the float exponent 255 before
 * the multiply, which keeps infinities and returns NaNs quiet with their payload, as {@link Float#float16ToFloat}'s
 * x86 (F16C) intrinsic does. About eight integer/float lane operations per vector instead of F16C's one, but fused
 * into the dot: 4096 x 4096 decode about 2x faster than widening row by row with the scalar intrinsic.
 */
public final class F16Kernel implements WeightKernel {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> I = VectorWidth.ints(S.vectorBitSize());
    /** Whether halves widen lane for lane into {@link #I} (a 64-bit float species would need 32-bit shorts). */
    private static final boolean WIDENS = S.vectorBitSize() >= 128;
    private static final VectorSpecies<Short> H = WIDENS
            ? VectorWidth.shorts(S.vectorBitSize() / 2) : ShortVector.SPECIES_64;
    /** Float values per {@link #dotVector} step: four accumulators of a vector each, as ggml's GGML_F16_STEP. */
    private static final int STEP = 4 * L;

    @Override
    public Activations.Form form() {
        return Activations.Form.HALF;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.q, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, xo, a.cols);
    }

    /** Scalar twin. */
    public static float dotScalar(MemorySegment w, long off, float[] xh, int xo, int cols) {
        float sum = 0f;
        for (int i = 0; i < cols; i++) sum += Float.float16ToFloat(w.get(F16, off + 2L * i)) * xh[xo + i];
        return sum;
    }

    /**
     * Vector kernel in ggml's {@code ggml_vec_dot_f16} order: four accumulators FMA consecutive vectors of
     * {@link #STEP} values at a time, then sum as (0 + 2) + (1 + 3) and reduce the lanes; the last
     * {@code cols % STEP} products are added in double. Each weight vector is converted inline as in
     * {@link #toFloats} (no scratch round trip, no vector crossing a call). {@code tmp} (cols floats) is used only
     * when the species is too narrow to widen halves (64 bits).
     */
    public static float dotVector(MemorySegment w, long off, float[] xh, int xo, int cols, float[] tmp) {
        if (!WIDENS) {
            for (int i = 0; i < cols; i++) tmp[i] = Float.float16ToFloat(w.get(F16, off + 2L * i));
            return F32Kernel.dot(tmp, 0, xh, xo, cols);
        }
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int upper = cols - cols % STEP; i < upper; i += STEP) {
            long o = off + 2L * i;
            IntVector h0 = (IntVector) ShortVector.fromMemorySegment(H, w, o, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector h1 = (IntVector) ShortVector.fromMemorySegment(H, w, o + 2L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector h2 = (IntVector) ShortVector.fromMemorySegment(H, w, o + 4L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector h3 = (IntVector) ShortVector.fromMemorySegment(H, w, o + 6L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector f0 = h0.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, h0.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f);
            FloatVector f1 = h1.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, h1.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f);
            FloatVector f2 = h2.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, h2.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f);
            FloatVector f3 = h3.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, h3.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f);
            s0 = f0.fma(FloatVector.fromArray(S, xh, xo + i), s0);
            s1 = f1.fma(FloatVector.fromArray(S, xh, xo + i + L), s1);
            s2 = f2.fma(FloatVector.fromArray(S, xh, xo + i + 2 * L), s2);
            s3 = f3.fma(FloatVector.fromArray(S, xh, xo + i + 3 * L), s3);
        }
        FloatVector acc = s0.add(s2).add(s1.add(s3));
        if (L >= 16) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_8)); // VectorWidth.sum, written inline (see there why)
        if (L >= 8) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_4));
        if (L >= 4) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_2));
        if (L >= 2) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_1));
        double sum = acc.lane(0);
        for (; i < cols; i++) sum += Float.float16ToFloat(w.get(F16, off + 2L * i)) * xh[xo + i];
        return (float) sum;
    }

    /**
     * Converts {@code count} halves starting at byte {@code off} of {@code w} into {@code dst[dstOffset ..]}, bit
     * for bit as {@link Float#float16ToFloat} (see the class comment for how); vector lanes when enabled.
     */
    static void toFloats(MemorySegment w, long off, float[] dst, int dstOffset, int count) {
        int i = 0;
        if (VectorWidth.ENABLED && WIDENS) {
            for (int upper = I.loopBound(count); i < upper; i += L) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(H, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, I, 0);
                h.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                        .lanewise(VectorOperators.OR, 0x70000000, h.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                        .reinterpretAsFloats().mul(0x1p112f).intoArray(dst, dstOffset + i);
            }
        }
        for (; i < count; i++) dst[dstOffset + i] = Float.float16ToFloat(w.get(F16, off + 2L * i));
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        toFloats(w, rowOffset, dst, dstOffset, cols);
    }
}
