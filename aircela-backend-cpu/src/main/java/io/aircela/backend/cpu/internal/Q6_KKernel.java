package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
 * Per super-block, eight int lanes: lane k sums {@code sc * q * q8} (q unsigned, 0..63) over elements 4k .. 4k+3
 * of each 32-element chunk, minus {@code 32 * (bsum_2k * sc_2k + bsum_2k+1 * sc_2k+1)};
 * {@code acc[k] = fma(dy * d, lane k, acc[k])}; result {@code hsum_float_8(acc)}.
 */
public final class Q6_KKernel implements WeightKernel {
    static final int BLOCK_BYTES = 210;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    /** Lanes 4..7: the second 16 elements of a 32-element chunk, which have their own scale. */
    private static final VectorMask<Integer> UPPER = VectorMask.fromLong(I8, 0xF0);
    private static final int[] EVEN = {0, 2, 4, 6, 8, 10, 12, 14};
    private static final int[] ODD = {1, 3, 5, 7, 9, 11, 13, 15};

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_K;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qb, a.d, a.bsums, xo, a.cols, tmp)
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

    /** Vector kernel: the twin's lanes as one 8-lane int vector per super-block. */
    public static float dotVector(MemorySegment w, long off, byte[] xq, float[] xd, int[] bsums, int xo, int cols,
                                  float[] acc) {
        FloatVector total = FloatVector.zero(F8);
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            float d = xd[xb / 256] * WeightKernel.half(w, off + 208);
            IntVector sum = IntVector.zero(I8);
            for (int h = 0; h < 2; h++) {
                IntVector ql0 = ints(w, off + 64 * h), ql1 = ints(w, off + 64 * h + 32), qh = ints(w, off + 128 + 32 * h);
                for (int t = 0; t < 4; t++) {
                    IntVector low = (t & 1) == 0 ? ql0 : ql1;
                    if (t >= 2) low = low.lanewise(VectorOperators.LSHR, 4);
                    IntVector q = low.and(0x0F0F0F0F)
                            .or(qh.lanewise(VectorOperators.LSHR, 2 * t).and(0x03030303).lanewise(VectorOperators.LSHL, 4));
                    int c = 4 * h + t;
                    IntVector sc = IntVector.broadcast(I8, scale(w, off, 2 * c)).blend(scale(w, off, 2 * c + 1), UPPER);
                    sum = sum.add(Q4_KKernel.dot4(q, xq, xb + 32 * c).mul(sc));
                }
            }
            sum = sum.sub(corrections(w, off, bsums, xb / 16));
            total = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F8, d), total);
        }
        total.intoArray(acc, 0);
        return GgmlMath.reduce8(acc, 0);
    }

    /** The eight lanes' {@link #correction}s at once: even/odd scales and bsums de-interleaved. */
    private static IntVector corrections(MemorySegment w, long off, int[] bsums, int bo) {
        ShortVector pairs = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, off + 192, ByteOrder.LITTLE_ENDIAN)
                .reinterpretAsShorts();
        IntVector sc = (IntVector) pairs.convertShape(VectorOperators.S2I, I8, 0);
        IntVector even = sc.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24);
        IntVector odd = sc.lanewise(VectorOperators.ASHR, 8);
        IntVector bEven = IntVector.fromArray(I8, bsums, bo, EVEN, 0), bOdd = IntVector.fromArray(I8, bsums, bo, ODD, 0);
        return bEven.mul(even).add(bOdd.mul(odd)).lanewise(VectorOperators.LSHL, 5);
    }

    private static IntVector ints(MemorySegment w, long off) {
        return ByteVector.fromMemorySegment(B32, w, off, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
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
