package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q5_0 weights times Q8_0 activations, as ggml's {@code ggml_vec_dot_q5_0_q8_0}.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;           // delta
 *     uint8_t   qh[4];       // bit j: 5th bit of weight j
 *     uint8_t   qs[32 / 2];  // low nibble of qs[j]: weight j, high nibble: weight j + 16
 * } block_q5_0;              // 22 bytes, w = d * ((nibble | bit << 4) - 16)
 * }</pre>
 * Per block: {@code sumi = sum qw * qx} (integer) and {@code sum += sumi * (dw * dx)}, accumulated in ggml's x86
 * lane order exactly as {@link Q8_0Kernel}: eight float lanes of four consecutive elements each, then
 * {@link GgmlMath#reduce8}.
 */
public final class Q5_0Kernel implements WeightKernel {
    static final int BLOCK_BYTES = 22;
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I4 = IntVector.SPECIES_128;
    /** Bit index in qh of byte 0 of each int lane: elements 4k (low groups) and 16 + 4k (high groups). */
    private static final IntVector SHIFT_LO = IntVector.fromArray(I4, new int[]{0, 4, 8, 12}, 0);
    private static final IntVector SHIFT_HI = IntVector.fromArray(I4, new int[]{16, 20, 24, 28}, 0);

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_0;
    }

    /** Bit-exact with llama.cpp's integer block dots: no float GEMM. */
    @Override
    public boolean floatGemm() {
        return false;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qb, a.d, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, a.d, xo, a.cols, tmp);
    }

    /** Weight {@code i} (0..31) of the block at {@code off}, as the signed integer {@code q - 16}. */
    static int weight(MemorySegment w, long off, int qh, int i) {
        int packed = w.get(ValueLayout.JAVA_BYTE, off + 6 + (i & 15)) & 0xFF;
        int nibble = i < 16 ? packed & 0x0F : packed >>> 4;
        return (nibble | (qh >>> i & 1) << 4) - 16;
    }

    /**
     * Scalar twin in ggml's x86 order: lane k accumulates {@code fma(dw * dx, sum of products 4k .. 4k+3, lane)}
     * block after block, then {@link GgmlMath#reduce8}. {@code xq}: Q8 integers as floats; {@code acc}: scratch of 8+.
     */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols, float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            int qh = w.get(WeightKernel.I32, off + 2);
            float d = WeightKernel.half(w, off) * xd[xb / 32];
            for (int k = 0; k < 8; k++) {
                int g = 0;
                for (int i = 4 * k; i < 4 * k + 4; i++) g += weight(w, off, qh, i) * (int) xq[xb + i];
                acc[k] = Math.fma(d, (float) g, acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0);
    }

    /**
     * Vector kernel, the twin's arithmetic: the 16 packed bytes are four int lanes; byte s of lane k in the low
     * (high) nibbles is element 4k+s (16+4k+s), its 5th bit is qh bit 4k+s (16+4k+s).
     */
    public static float dotVector(MemorySegment w, long off, byte[] xq, float[] xd, int xo, int cols, float[] acc) {
        FloatVector lo = FloatVector.zero(F4), hi = FloatVector.zero(F4);
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            IntVector qh = IntVector.broadcast(I4, w.get(WeightKernel.I32, off + 2));
            IntVector p = ByteVector.fromMemorySegment(B16, w, off + 6, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
            IntVector xl = ByteVector.fromArray(B16, xq, xb).reinterpretAsInts();
            IntVector xh = ByteVector.fromArray(B16, xq, xb + 16).reinterpretAsInts();
            IntVector gl = IntVector.zero(I4), gh = IntVector.zero(I4);
            for (int s = 0; s < 4; s++) {
                gl = gl.add(weights(p, 8 * s, qh, SHIFT_LO, s).mul(Q8_0Kernel.signedByte(xl, s)));
                gh = gh.add(weights(p, 8 * s + 4, qh, SHIFT_HI, s).mul(Q8_0Kernel.signedByte(xh, s)));
            }
            FloatVector d = FloatVector.broadcast(F4, WeightKernel.half(w, off) * xd[xb / 32]);
            lo = ((FloatVector) gl.convert(VectorOperators.I2F, 0)).fma(d, lo);
            hi = ((FloatVector) gh.convert(VectorOperators.I2F, 0)).fma(d, hi);
        }
        lo.intoArray(acc, 0);
        hi.intoArray(acc, 4);
        return GgmlMath.reduce8(acc, 0);
    }

    /** The signed weights of byte s of each lane: nibble at {@code shift} of p, 5th bit from qh. */
    private static IntVector weights(IntVector p, int shift, IntVector qh, IntVector bitBase, int s) {
        IntVector bit = qh.lanewise(VectorOperators.LSHR, bitBase.add(s)).and(1).lanewise(VectorOperators.LSHL, 4);
        return p.lanewise(VectorOperators.LSHR, shift).and(0x0F).or(bit).sub(16);
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 32; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset);
            int qh = w.get(WeightKernel.I32, rowOffset + 2);
            for (int i = 0; i < 32; i++) dst[dstOffset + b * 32 + i] = d * weight(w, rowOffset, qh, i);
        }
    }
}
