package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_0 weights times Q8_0 activations, as ggml's {@code ggml_vec_dot_q4_0_q8_0}.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;           // delta
 *     uint8_t   qs[32 / 2];  // nibbles: low nibble of qs[j] is weight j, high nibble is weight j + 16
 * } block_q4_0;              // 18 bytes, w = d * (nibble - 8)
 * }</pre>
 */
public final class Q4_0Kernel implements WeightKernel {
    static final int BLOCK_BYTES = 18;
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int PARTS = B.length() / Math.min(S.length(), B.length());

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_0;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.q, a.d, xo, a.cols)
                : dotScalar(w, rowOffset, a.q, a.d, xo, a.cols);
    }

    /** Scalar twin. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols) {
        float sum = 0f;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int sumi = 0;
            int xb = xo + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, off + 2 + j) & 0xFF;
                sumi += ((packed & 0x0F) - 8) * (int) xq[xb + j] + ((packed >>> 4) - 8) * (int) xq[xb + j + 16];
            }
            sum += sumi * (WeightKernel.half(w, off) * xd[xb / 32]);
        }
        return sum;
    }

    /** Vector kernel: nibbles unpack in byte lanes, widen to floats; integer-exact until the block scale. */
    public static float dotVector(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols) {
        FloatVector total = FloatVector.zero(S);
        int lanes = S.length();
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            ByteVector packed = ByteVector.fromMemorySegment(B, w, off + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
            ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            FloatVector acc = FloatVector.zero(S);
            for (int p = 0; p < PARTS; p++) {
                acc = ((FloatVector) lo.convertShape(VectorOperators.B2F, S, p))
                        .fma(FloatVector.fromArray(S, xq, xb + p * lanes), acc);
                acc = ((FloatVector) hi.convertShape(VectorOperators.B2F, S, p))
                        .fma(FloatVector.fromArray(S, xq, xb + 16 + p * lanes), acc);
            }
            total = acc.fma(FloatVector.broadcast(S, WeightKernel.half(w, off) * xd[xb / 32]), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 32; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset);
            int o = dstOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, rowOffset + 2 + j) & 0xFF;
                dst[o + j] = d * ((packed & 0x0F) - 8);
                dst[o + j + 16] = d * ((packed >>> 4) - 8);
            }
        }
    }
}
