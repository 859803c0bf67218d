package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q8_0 weights times Q8_0 activations, as ggml's {@code ggml_vec_dot_q8_0_q8_0}.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;       // delta
 *     int8_t    qs[32];  // quants
 * } block_q8_0;          // 34 bytes, w = d * q
 * }</pre>
 * Per block: {@code sumi = sum qw * qx} (integer), {@code sum += sumi * (dw * dx)}.
 */
public final class Q8_0Kernel implements WeightKernel {
    static final int BLOCK_BYTES = 34;
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

    /** Scalar twin: {@code xq} holds Q8 integers as floats, {@code xd} block scales; {@code xo} is a multiple of 32. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols) {
        float sum = 0f;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int sumi = 0;
            int xb = xo + b * 32;
            for (int j = 0; j < 32; j++) sumi += w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + j) * (int) xq[xb + j];
            sum += sumi * (WeightKernel.half(w, off) * xd[xb / 32]);
        }
        return sum;
    }

    /**
     * Vector kernel: bytes widen to float lanes; products of Q8 integers and their lane sums stay below
     * 2^24, so the float arithmetic is exact integer arithmetic until the per-block scale.
     */
    public static float dotVector(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols) {
        FloatVector total = FloatVector.zero(S);
        int lanes = S.length();
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < 32; j += 16) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, off + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++)
                    acc = ((FloatVector) q.convertShape(VectorOperators.B2F, S, p))
                            .fma(FloatVector.fromArray(S, xq, xb + j + p * lanes), acc);
            }
            total = acc.fma(FloatVector.broadcast(S, WeightKernel.half(w, off) * xd[xb / 32]), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 32; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset);
            for (int j = 0; j < 32; j++)
                dst[dstOffset + b * 32 + j] = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, rowOffset + 2 + j);
        }
    }
}
