package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q5_K weights times Q8_K activations, as ggml's x86 {@code ggml_vec_dot_q5_K_q8_K} (AVX2; llama.cpp does not
 * repack Q5_K on x86).
 * <pre>{@code
 * typedef struct {
 *     ggml_half d, dmin;      // super-block scales of the 6-bit scales and mins
 *     uint8_t   scales[12];   // as Q4_K
 *     uint8_t   qh[256 / 8];  // bit 2j (2j+1) of qh[l]: 5th bit of element 64j + l (64j + 32 + l)
 *     uint8_t   qs[256 / 2];  // low 4 bits, laid out as Q4_K
 * } block_q5_K;               // 176 bytes, w = d * sc * q - dmin * m
 * }</pre>
 * Per super-block, eight int lanes: lane k sums {@code sc_s * q * q8} over elements 4k .. 4k+3 of every 32-element
 * sub-block s; {@code acc[k] = fma(dy * d, lane k, acc[k])}. The mins go to one float:
 * {@code summs += (-dy * dmin) * sum_s m_s * bsum_s}. Result {@code hsum_float_8(acc) + summs}.
 */
public final class Q5_KKernel implements WeightKernel {
    static final int BLOCK_BYTES = 176;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_K;
    }

    /** Bit-exact with llama.cpp's integer block dots: no float GEMM. */
    @Override
    public boolean floatGemm() {
        return false;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qb, a.d, a.bsums, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, a.d, a.bsums, xo, a.cols, tmp);
    }

    /** 5-bit value of element e (0..255) of the super-block at {@code off}. */
    static int q5(MemorySegment w, long off, int e) {
        int j = e / 64, l = e % 32, hiHalf = (e >>> 5) & 1;
        int packed = Q4_KKernel.u8(w, off + 48 + 32 * j + l);
        int low = hiHalf == 0 ? packed & 0x0F : packed >>> 4;
        return low | (Q4_KKernel.u8(w, off + 16 + l) >>> (2 * j + hiHalf) & 1) << 4;
    }

    /** Scalar twin; {@code acc}: scratch of 8 or more. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int[] bsums, int xo, int cols,
                                  float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        float summs = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            float dy = xd[xb / 256];
            float d = dy * WeightKernel.half(w, off);
            float dmin = -dy * WeightKernel.half(w, off + 2);
            summs += dmin * Q4_KKernel.minSum(w, off, bsums, xb / 16);
            for (int k = 0; k < 8; k++) {
                int lane = 0;
                for (int s = 0; s < 8; s++) {
                    int g = 0;
                    for (int i = 32 * s + 4 * k; i < 32 * s + 4 * k + 4; i++) g += q5(w, off, i) * (int) xq[xb + i];
                    lane += Q4_KKernel.scale(w, off + 4, s) * g;
                }
                acc[k] = Math.fma(d, (float) lane, acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0) + summs;
    }

    /** Vector kernel: the twin's lanes as one 8-lane int vector per super-block. */
    public static float dotVector(MemorySegment w, long off, byte[] xq, float[] xd, int[] bsums, int xo, int cols,
                                  float[] acc) {
        FloatVector total = FloatVector.zero(F8);
        float summs = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            float dy = xd[xb / 256];
            float d = dy * WeightKernel.half(w, off);
            float dmin = -dy * WeightKernel.half(w, off + 2);
            summs += dmin * Q4_KKernel.minSum(w, off, bsums, xb / 16);
            IntVector qh = ByteVector.fromMemorySegment(B32, w, off + 16, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
            IntVector sum = IntVector.zero(IntVector.SPECIES_256);
            for (int j = 0; j < 4; j++) {
                IntVector p = ByteVector.fromMemorySegment(B32, w, off + 48 + 32 * j, ByteOrder.LITTLE_ENDIAN)
                        .reinterpretAsInts();
                IntVector lo = p.and(0x0F0F0F0F).or(qh.lanewise(VectorOperators.LSHR, 2 * j).and(0x01010101)
                        .lanewise(VectorOperators.LSHL, 4));
                IntVector hi = p.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F)
                        .or(qh.lanewise(VectorOperators.LSHR, 2 * j + 1).and(0x01010101).lanewise(VectorOperators.LSHL, 4));
                sum = sum.add(Q4_KKernel.dot4(lo, xq, xb + 64 * j).mul(Q4_KKernel.scale(w, off + 4, 2 * j)));
                sum = sum.add(Q4_KKernel.dot4(hi, xq, xb + 64 * j + 32).mul(Q4_KKernel.scale(w, off + 4, 2 * j + 1)));
            }
            total = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F8, d), total);
        }
        total.intoArray(acc, 0);
        return GgmlMath.reduce8(acc, 0) + summs;
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 256; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset), dmin = WeightKernel.half(w, rowOffset + 2);
            for (int s = 0; s < 8; s++) {
                float ds = d * Q4_KKernel.scale(w, rowOffset + 4, s), ms = dmin * Q4_KKernel.min(w, rowOffset + 4, s);
                for (int i = 32 * s; i < 32 * s + 32; i++) dst[dstOffset + b * 256 + i] = ds * q5(w, rowOffset, i) - ms;
            }
        }
    }
}
