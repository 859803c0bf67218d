package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_1 weights times Q8_1 activations, as ggml's {@code ggml_vec_dot_q4_1_q8_1}.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;           // delta
 *     ggml_half m;           // min
 *     uint8_t   qs[32 / 2];  // low nibble: weight j, high nibble: weight j + 16
 * } block_q4_1;              // 20 bytes, w = d * nibble + m
 * }</pre>
 * Per block: {@code sum += (dw * dx) * sumi + m * sx}, where {@code sx = fp16(dx * sum qx)}.
 */
public final class Q4_1Kernel implements WeightKernel {
    static final int BLOCK_BYTES = 20;
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int PARTS = B.length() / Math.min(S.length(), B.length());

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_1;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.q, a.d, a.s, xo, a.cols)
                : dotScalar(w, rowOffset, a.q, a.d, a.s, xo, a.cols);
    }

    /** Scalar twin. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, float[] xs, int xo, int cols) {
        float sum = 0f;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int sumi = 0;
            int xb = xo + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, off + 4 + j) & 0xFF;
                sumi += (packed & 0x0F) * (int) xq[xb + j] + (packed >>> 4) * (int) xq[xb + j + 16];
            }
            sum += (WeightKernel.half(w, off) * xd[xb / 32]) * sumi + WeightKernel.half(w, off + 2) * xs[xb / 32];
        }
        return sum;
    }

    /** Vector kernel: as {@link Q4_0Kernel#dotVector} without the -8 offset, plus the min term per block. */
    public static float dotVector(MemorySegment w, long off, float[] xq, float[] xd, float[] xs, int xo, int cols) {
        FloatVector total = FloatVector.zero(S);
        float mins = 0f;
        int lanes = S.length();
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            ByteVector packed = ByteVector.fromMemorySegment(B, w, off + 4, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = packed.and((byte) 0x0F);
            ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4);
            FloatVector acc = FloatVector.zero(S);
            for (int p = 0; p < PARTS; p++) {
                acc = ((FloatVector) lo.convertShape(VectorOperators.B2F, S, p))
                        .fma(FloatVector.fromArray(S, xq, xb + p * lanes), acc);
                acc = ((FloatVector) hi.convertShape(VectorOperators.B2F, S, p))
                        .fma(FloatVector.fromArray(S, xq, xb + 16 + p * lanes), acc);
            }
            total = acc.fma(FloatVector.broadcast(S, WeightKernel.half(w, off) * xd[xb / 32]), total);
            mins += WeightKernel.half(w, off + 2) * xs[xb / 32];
        }
        return total.reduceLanes(VectorOperators.ADD) + mins;
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 32; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset);
            float m = WeightKernel.half(w, rowOffset + 2);
            int o = dstOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, rowOffset + 4 + j) & 0xFF;
                dst[o + j] = d * (packed & 0x0F) + m;
                dst[o + j + 16] = d * (packed >>> 4) + m;
            }
        }
    }
}
