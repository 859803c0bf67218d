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

    /**
     * Vector kernel: per lane {@code j} of a block, {@code (lo_j - 8) * x_j + (hi_j - 8) * x_(j+16)}, integer-exact in
     * float; times the block scale into a float accumulator; one {@link VectorWidth#sum fixed-order} reduction.
     * With 16 float lanes (512 bits) the 16 packed bytes widen once to int lanes and both nibbles are cut there
     * ({@link #nibbles}); narrower species unpack in byte lanes and widen each part. Same lane values either way.
     */
    public static float dotVector(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols) {
        FloatVector total = FloatVector.zero(S);
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            FloatVector acc = WIDE ? wideBlock(w, off, xq, xb) : narrowBlock(w, off, xq, xb);
            total = acc.fma(FloatVector.broadcast(S, WeightKernel.half(w, off) * xd[xb / 32]), total);
        }
        int n = S.length(); // VectorWidth.sum, written inline (see there why)
        if (n >= 16) total = total.add(total.rearrange(VectorWidth.ROTATE_8));
        if (n >= 8) total = total.add(total.rearrange(VectorWidth.ROTATE_4));
        if (n >= 4) total = total.add(total.rearrange(VectorWidth.ROTATE_2));
        if (n >= 2) total = total.add(total.rearrange(VectorWidth.ROTATE_1));
        return total.lane(0);
    }

    /** 16 lanes: the 16 bytes widen to int lanes once; low and high nibbles are cut there and converted. */
    private static FloatVector wideBlock(MemorySegment w, long off, float[] xq, int xb) {
        IntVector p = nibbles(w, off);
        FloatVector lo = (FloatVector) p.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
        FloatVector hi = (FloatVector) p.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
        return hi.fma(FloatVector.fromArray(S, xq, xb + 16), lo.mul(FloatVector.fromArray(S, xq, xb)));
    }

    /** The block's 16 packed bytes, sign-extended into 16 int lanes. */
    private static IntVector nibbles(MemorySegment w, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, w, off + 2, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2I, I16, 0);
    }

    private static FloatVector narrowBlock(MemorySegment w, long off, float[] xq, int xb) {
        int lanes = S.length();
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
        return acc;
    }

    @Override
    public void dotRows(MemorySegment w, long rowOffset, Activations a, int xRow, int count, float[] out, float[] tmp) {
        if (!VectorWidth.ENABLED || count != ROWS_PER_TILE) {
            WeightKernel.super.dotRows(w, rowOffset, a, xRow, count, out, tmp);
            return;
        }
        dotVector4(w, rowOffset, a.q, a.d, xRow * a.cols, a.cols, out);
    }

    /**
     * {@link #dotVector} for four activation rows at once ({@code x} rows at {@code xo + r * cols}): each weight
     * block is unpacked and widened once and used four times. Per row the operations and their order are
     * exactly those of {@code dotVector}, so the results are bit-identical to four calls of it.
     */
    static void dotVector4(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols, float[] out) {
        FloatVector t0 = FloatVector.zero(S), t1 = t0, t2 = t0, t3 = t0;
        int lanes = S.length();
        int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int o = b * 32;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            if (WIDE) {
                IntVector p = nibbles(w, off);
                FloatVector l = (FloatVector) p.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                FloatVector h = (FloatVector) p.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                a0 = h.fma(FloatVector.fromArray(S, xq, xo + o + 16), l.mul(FloatVector.fromArray(S, xq, xo + o)));
                a1 = h.fma(FloatVector.fromArray(S, xq, x1 + o + 16), l.mul(FloatVector.fromArray(S, xq, x1 + o)));
                a2 = h.fma(FloatVector.fromArray(S, xq, x2 + o + 16), l.mul(FloatVector.fromArray(S, xq, x2 + o)));
                a3 = h.fma(FloatVector.fromArray(S, xq, x3 + o + 16), l.mul(FloatVector.fromArray(S, xq, x3 + o)));
            } else {
                ByteVector packed = ByteVector.fromMemorySegment(B, w, off + 2, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector l = (FloatVector) lo.convertShape(VectorOperators.B2F, S, p);
                    FloatVector h = (FloatVector) hi.convertShape(VectorOperators.B2F, S, p);
                    int j = o + p * lanes;
                    a0 = h.fma(FloatVector.fromArray(S, xq, xo + j + 16), l.fma(FloatVector.fromArray(S, xq, xo + j), a0));
                    a1 = h.fma(FloatVector.fromArray(S, xq, x1 + j + 16), l.fma(FloatVector.fromArray(S, xq, x1 + j), a1));
                    a2 = h.fma(FloatVector.fromArray(S, xq, x2 + j + 16), l.fma(FloatVector.fromArray(S, xq, x2 + j), a2));
                    a3 = h.fma(FloatVector.fromArray(S, xq, x3 + j + 16), l.fma(FloatVector.fromArray(S, xq, x3 + j), a3));
                }
            }
            float dw = WeightKernel.half(w, off);
            t0 = a0.fma(FloatVector.broadcast(S, dw * xd[(xo + o) / 32]), t0);
            t1 = a1.fma(FloatVector.broadcast(S, dw * xd[(x1 + o) / 32]), t1);
            t2 = a2.fma(FloatVector.broadcast(S, dw * xd[(x2 + o) / 32]), t2);
            t3 = a3.fma(FloatVector.broadcast(S, dw * xd[(x3 + o) / 32]), t3);
        }
        // VectorWidth.sum of each, written inline (see there why); the four reductions interleaved
        int n = S.length();
        if (n >= 16) {
            t0 = t0.add(t0.rearrange(VectorWidth.ROTATE_8));
            t1 = t1.add(t1.rearrange(VectorWidth.ROTATE_8));
            t2 = t2.add(t2.rearrange(VectorWidth.ROTATE_8));
            t3 = t3.add(t3.rearrange(VectorWidth.ROTATE_8));
        }
        if (n >= 8) {
            t0 = t0.add(t0.rearrange(VectorWidth.ROTATE_4));
            t1 = t1.add(t1.rearrange(VectorWidth.ROTATE_4));
            t2 = t2.add(t2.rearrange(VectorWidth.ROTATE_4));
            t3 = t3.add(t3.rearrange(VectorWidth.ROTATE_4));
        }
        if (n >= 4) {
            t0 = t0.add(t0.rearrange(VectorWidth.ROTATE_2));
            t1 = t1.add(t1.rearrange(VectorWidth.ROTATE_2));
            t2 = t2.add(t2.rearrange(VectorWidth.ROTATE_2));
            t3 = t3.add(t3.rearrange(VectorWidth.ROTATE_2));
        }
        if (n >= 2) {
            t0 = t0.add(t0.rearrange(VectorWidth.ROTATE_1));
            t1 = t1.add(t1.rearrange(VectorWidth.ROTATE_1));
            t2 = t2.add(t2.rearrange(VectorWidth.ROTATE_1));
            t3 = t3.add(t3.rearrange(VectorWidth.ROTATE_1));
        }
        out[0] = t0.lane(0);
        out[1] = t1.lane(0);
        out[2] = t2.lane(0);
        out[3] = t3.lane(0);
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
