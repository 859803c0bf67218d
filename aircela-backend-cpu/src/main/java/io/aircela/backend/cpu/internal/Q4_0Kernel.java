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
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    /** 16 float lanes: one block's 16 nibble pairs fill a vector exactly (the int-lane unpacking). */
    private static final boolean WIDE = S.length() == 16;

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_0;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.q, a.d, a.sums, xo, a.cols)
                : dotScalar(w, rowOffset, a.q, a.d, xo, a.cols);
    }

    /**
     * Scalar twin, ggml's reference {@code vec_dot_q4_0_q8_0}: each block's integer dot {@code sumi}, then
     * {@code total = fma(sumi, d_w * d_x, total)} block after block. The same arithmetic as
     * {@link Q4_0Repacked#gemv}, so a weight gives bit-identical results repacked or not (resident weights are
     * repacked, streamed ones are not).
     */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols) {
        float total = 0f;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int sumi = 0;
            int xb = xo + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, off + 2 + j) & 0xFF;
                sumi += ((packed & 0x0F) - 8) * (int) xq[xb + j] + ((packed >>> 4) - 8) * (int) xq[xb + j + 16];
            }
            total = Math.fma((float) sumi, WeightKernel.half(w, off) * xd[xb / 32], total);
        }
        return total;
    }

    /**
     * Vector kernel, {@link #dotScalar}'s arithmetic: per block the lanes hold {@code n_j x_j + n_(j+16) x_(j+16)}
     * (integers), their sum minus {@code 8 sum x} ({@link Activations#sums}) is the exact integer {@code sumi} in
     * any summation order (|sumi| < 2^24), and {@code total = fma(sumi, d_w * d_x, total)}. About 25% slower than
     * keeping float lanes across blocks, but it is what the repacked kernel computes; it runs only for weights
     * used once (streamed layers) and on a weight's first use.
     */
    public static float dotVector(MemorySegment w, long off, float[] xq, float[] xd, float[] xs, int xo, int cols) {
        float total = 0f;
        int bo = xo / 32;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            FloatVector acc;
            if (WIDE) { // the 16 packed bytes zero-extend into 16 int lanes; both nibbles are cut there
                IntVector p = (IntVector) ByteVector.fromMemorySegment(B, w, off + 2, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
                FloatVector lo = (FloatVector) p.and(0x0F).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) p.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
                acc = hi.fma(FloatVector.fromArray(S, xq, xb + 16), lo.mul(FloatVector.fromArray(S, xq, xb)));
            } else {
                ByteVector packed = ByteVector.fromMemorySegment(B, w, off + 2, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = packed.and((byte) 0x0F);
                ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F);
                acc = FloatVector.zero(S);
                int lanes = S.length();
                for (int p = 0; p < PARTS; p++) {
                    acc = ((FloatVector) lo.convertShape(VectorOperators.B2F, S, p))
                            .fma(FloatVector.fromArray(S, xq, xb + p * lanes), acc);
                    acc = ((FloatVector) hi.convertShape(VectorOperators.B2F, S, p))
                            .fma(FloatVector.fromArray(S, xq, xb + 16 + p * lanes), acc);
                }
            }
            float sumi = acc.reduceLanes(VectorOperators.ADD) - 8f * xs[bo + b]; // exact integers: any order
            total = Math.fma(sumi, WeightKernel.half(w, off) * xd[bo + b], total);
        }
        return total;
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
