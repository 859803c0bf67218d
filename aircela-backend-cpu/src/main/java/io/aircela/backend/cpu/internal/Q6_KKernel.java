package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q6_K weights times Q8_K activations, as ggml's x86 {@code ggml_vec_dot_q6_K_q8_K} (AVX2; llama.cpp does not
 * repack Q6_K on x86).
 * <pre>{@code
 * typedef struct {
 *     uint8_t ql[256 / 2];     // low 4 bits; half h, quarter t, index l: ql[64h + 32(t&1) + l], nibble t>>1
 *     uint8_t qh[256 / 4];     // high 2 bits: bits 2t, 2t+1 of qh[32h + l]
 *     int8_t  scales[256 / 16];// one 8-bit scale per 16 elements
 *     ggml_half d;             // super-block scale
 * } block_q6_K;                // 210 bytes, w = d * sc * (q - 32)
 * }</pre>
 * Per super-block, eight integer lanes: lane k sums {@code sc * q * q8} (q unsigned, 0..63) over elements 4k .. 4k+3
 * of each 32-element chunk, minus {@code 32 * (bsum_2k * sc_2k + bsum_2k+1 * sc_2k+1)};
 * {@code acc[k] = fma(dy * d, lane k, acc[k])}; result {@code hsum_float_8(acc)}.
 */
public final class Q6_KKernel implements WeightKernel {
    static final int BLOCK_BYTES = 210;
    /** {@link #dotVector}'s short and int lanes: the float width, at least 128 bits. */
    private static final int BITS = Math.max(128, VectorWidth.FLOATS.vectorBitSize());
    private static final VectorSpecies<Short> SHORTS = VectorWidth.shorts(BITS);
    private static final VectorSpecies<Integer> INTS = VectorWidth.ints(BITS);
    /** Columns of a 32-element chunk at a time: as many as short lanes (8, 16 or 32). */
    private static final int CHUNK = SHORTS.length();
    private static final VectorSpecies<Byte> BYTES = VectorWidth.bytes(8 * CHUNK);
    /** One float per four columns: twin lanes {@code cc / 4 ..}. */
    private static final VectorSpecies<Float> LANES = VectorWidth.floats(8 * CHUNK);
    /** At 512 bits, int lanes 8..15: columns 16..31 of a chunk, which have their own scale. */
    private static final VectorMask<Integer> UPPER = VectorMask.fromLong(INTS, CHUNK == 32 ? 0xFF00 : 0);

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_K;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qs, a.d, a.bsums, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, a.d, a.bsums, xo, a.cols, tmp);
    }

    /** Unsigned 6-bit value (0..63) of element e (0..255) of the super-block at {@code off}. */
    static int q6(MemorySegment w, long off, int e) {
        int h = e / 128, t = e % 128 / 32, l = e % 32;
        int packed = Q4_KKernel.u8(w, off + 64 * h + 32 * (t & 1) + l);
        int low = (t >> 1) == 0 ? packed & 0x0F : packed >>> 4;
        return low | (Q4_KKernel.u8(w, off + 128 + 32 * h + l) >>> 2 * t & 3) << 4;
    }

    static int scale(MemorySegment w, long off, int i) {
        return w.get(ValueLayout.JAVA_BYTE, off + 192 + i);
    }

    /** Lane k's correction {@code 32 * (bsum_2k * sc_2k + bsum_2k+1 * sc_2k+1)}; {@code bo}: the block's first bsum. */
    static int correction(MemorySegment w, long off, int[] bsums, int bo, int k) {
        return 32 * (bsums[bo + 2 * k] * scale(w, off, 2 * k) + bsums[bo + 2 * k + 1] * scale(w, off, 2 * k + 1));
    }

    /** Scalar twin; {@code acc}: scratch of 8 or more. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int[] bsums, int xo, int cols,
                                  float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            float d = xd[xb / 256] * WeightKernel.half(w, off + 208);
            for (int k = 0; k < 8; k++) {
                int lane = 0;
                for (int c = 0; c < 8; c++)
                    for (int i = 32 * c + 4 * k; i < 32 * c + 4 * k + 4; i++)
                        lane += scale(w, off, i / 16) * q6(w, off, i) * (int) xq[xb + i];
                acc[k] = Math.fma(d, (float) (lane - correction(w, off, bsums, xb / 16, k)), acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0);
    }

    /**
     * Vector kernel, the twin's arithmetic in short lanes ({@link #SHORTS}: the float width, at least 128 bits), as
     * {@link Q5_KKernel#dotVector}. Per chunk of {@link #CHUNK} columns of the 32-element chunks, for each half of
     * the super-block: the unsigned 6-bit values (nibble | two qh bits moved to 16 and 32) times the activations,
     * pre-widened to shorts ({@link Activations#qs}), exactly: {@code |63 * -128| < 2^15}; adjacent lanes pair up
     * into int lanes, {@code (p + (p << 16)) >> 16} (exact: {@code 2 * 8064 < 2^15}), times the 16-element scale,
     * summed over the eight chunks. Twin lane k is columns 4k .. 4k+3: the int lanes pair up once more in long lanes,
     * minus the twin's {@link #correction}s (bsums times scales, paired the same way, times 32), then to float and
     * the twin's float steps lane for lane, {@code acc[k] = fma(d, lane k, acc[k])}. Integer sums are order-free:
     * bit-identical to the twin at every width. No vector crosses a call.
     */
    public static float dotVector(MemorySegment w, long off, short[] xq, float[] xd, int[] bsums, int xo, int cols,
                                  float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            float d = xd[xb / 256] * WeightKernel.half(w, off + 208);
            ByteVector scales = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, off + 192, ByteOrder.LITTLE_ENDIAN);
            for (int cc = 0; cc < 32; cc += CHUNK) { // columns cc .. cc + CHUNK - 1 of every 32-element chunk
                IntVector sum = IntVector.zero(INTS);
                for (int h = 0; h < 2; h++) {
                    ShortVector ql0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, off + 64 * h + cc,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    ShortVector ql1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, off + 64 * h + 32 + cc,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, off + 128 + 32 * h + cc,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    for (int t = 0; t < 4; t++) {
                        ShortVector low = (t & 1) == 0 ? ql0 : ql1;
                        low = t < 2 ? low.and((short) 0x0F) : low.lanewise(VectorOperators.LSHR, 4);
                        ShortVector high = (t == 0 ? qh.lanewise(VectorOperators.LSHL, 4) : t == 1
                                ? qh.lanewise(VectorOperators.LSHL, 2) : t == 2 ? qh : qh.lanewise(VectorOperators.LSHR, 2))
                                .and((short) 0x30);
                        int c = 4 * h + t;
                        ShortVector p = low.or(high).mul(ShortVector.fromArray(SHORTS, xq, xb + 32 * c + cc));
                        IntVector pi = p.reinterpretAsInts();
                        pi = pi.add(pi.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                        IntVector sc = CHUNK == 32
                                ? IntVector.broadcast(INTS, scale(w, off, 2 * c)).blend(scale(w, off, 2 * c + 1), UPPER)
                                : IntVector.broadcast(INTS, scale(w, off, 2 * c + cc / 16));
                        sum = sum.add(pi.mul(sc));
                    }
                }
                // corrections of twin lanes cc / 4 ..: bsums 2k, 2k+1 times scales 2k, 2k+1, paired like the sums
                IntVector corr = IntVector.fromArray(INTS, bsums, xb / 16 + cc / 2)
                        .mul((IntVector) scales.convertShape(VectorOperators.B2I, INTS, cc / CHUNK));
                LongVector cl = corr.reinterpretAsLongs();
                cl = cl.add(cl.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.ASHR, 32);
                LongVector quad = sum.reinterpretAsLongs();
                quad = quad.add(quad.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.ASHR, 32)
                        .sub(cl.lanewise(VectorOperators.LSHL, 5));
                FloatVector lanes = (FloatVector) quad.convertShape(VectorOperators.L2F, LANES, 0);
                lanes.fma(FloatVector.broadcast(LANES, d), FloatVector.fromArray(LANES, acc, cc / 4)).intoArray(acc, cc / 4);
            }
        }
        return GgmlMath.reduce8(acc, 0);
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 256; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset + 208);
            for (int i = 0; i < 256; i++)
                dst[dstOffset + b * 256 + i] = d * scale(w, rowOffset, i / 16) * (q6(w, rowOffset, i) - 32);
        }
    }
}
