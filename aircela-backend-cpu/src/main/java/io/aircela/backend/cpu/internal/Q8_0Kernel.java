package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q8_0 weights times Q8_0 activations, as ggml's {@code ggml_vec_dot_q8_0_q8_0}.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;       // delta
 *     int8_t    qs[32];  // quants
 * } block_q8_0;          // 34 bytes, w = d * q
 * }</pre>
 * Per block: {@code sumi = sum qw * qx} (integer), {@code sum += sumi * (dw * dx)}, accumulated in ggml's
 * x86 lane order (see {@link #dotScalar}).
 */
public final class Q8_0Kernel implements WeightKernel {
    static final int BLOCK_BYTES = 34;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    /** 512-bit vectors run natively (AVX-512): the short-lane kernel; else the 256-bit int-lane one. */
    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_0;
    }

    /** Prefill runs {@link Q8_0Gemm} (bit-exact), or the float GEMM when {@link MatMulTask#Q8_FLOAT} asks for it. */
    @Override
    public boolean floatGemm() {
        return MatMulTask.Q8_FLOAT;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qb, a.d, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, a.d, xo, a.cols, tmp);
    }

    /**
     * Scalar twin, in ggml's x86 order ({@code ggml_vec_dot_q8_0_q8_0}, AVX2/VNNI): eight float lanes, lane k
     * accumulating {@code fma(dw * dx, sum of products 4k .. 4k+3, lane)} block after block, then
     * {@link GgmlMath#reduce8}. The same order gives the same float rounding, bit for bit.
     * {@code xq} holds Q8 integers as floats, {@code xd} block scales; {@code acc} is scratch of 8 or more.
     */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int xo, int cols, float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            float d = WeightKernel.half(w, off) * xd[xb / 32];
            for (int k = 0; k < 8; k++) {
                int g = 0;
                for (int i = 4 * k; i < 4 * k + 4; i++) g += w.get(ValueLayout.JAVA_BYTE, off + 2 + i) * (int) xq[xb + i];
                acc[k] = Math.fma(d, (float) g, acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0);
    }

    /**
     * Vector kernel, same arithmetic as the twin: the 32 weight and activation bytes widen to 32 short lanes
     * (one 512-bit vector) and multiply exactly ({@code |q| <= 128}, products fit 16 bits); adjacent products
     * then pair up twice, into 16 int and 8 long lanes, which are exactly the eight group sums. Faster than
     * shifting each byte out of int lanes: two widenings and six shifts/adds per block instead of sixteen
     * shifts, four 32-bit multiplies and three adds.
     */
    public static float dotVector(MemorySegment w, long off, byte[] xq, float[] xd, int xo, int cols, float[] acc) {
        if (!WIDE) return dotVectorInts(w, off, xq, xd, xo, cols, acc);
        FloatVector total = FloatVector.zero(F8);
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            ShortVector ws = (ShortVector) ByteVector.fromMemorySegment(B32, w, off + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, S32, 0);
            ShortVector xs = (ShortVector) ByteVector.fromArray(B32, xq, xb).convertShape(VectorOperators.B2S, S32, 0);
            total = groupSums(ws, xs).fma(FloatVector.broadcast(F8, WeightKernel.half(w, off) * xd[xb / 32]), total);
        }
        total.intoArray(acc, 0);
        return GgmlMath.reduce8(acc, 0);
    }

    /**
     * The eight sums of four consecutive products {@code w[4k..4k+3] . x[4k..4k+3]} of 32 short lanes, as floats
     * (exact: each is below 2^16). Pairs: an int lane holds two products, {@code (p + (p << 16)) >> 16} is their
     * sum while it fits 16 bits ({@code |sum| <= 2 * 128 * 127}, activations are never -128); then the same
     * with long lanes. Lane order is little-endian, as on every platform the Vector API runs.
     */
    static FloatVector groupSums(ShortVector w, ShortVector x) {
        IntVector p = w.mul(x).reinterpretAsInts();
        IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
        LongVector l = pairs.reinterpretAsLongs();
        LongVector quads = l.add(l.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.ASHR, 32);
        return (FloatVector) quads.convertShape(VectorOperators.L2F, F8, 0);
    }

    /**
     * The same arithmetic in 256-bit int lanes, for CPUs without 512-bit vectors: the 32 bytes are eight int
     * lanes of four; each signed byte is shifted out and multiplied lane-wise.
     */
    static float dotVectorInts(MemorySegment w, long off, byte[] xq, float[] xd, int xo, int cols, float[] acc) {
        FloatVector total = FloatVector.zero(F8);
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            IntVector wi = ByteVector.fromMemorySegment(B32, w, off + 2, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
            IntVector xi = ByteVector.fromArray(B32, xq, xb).reinterpretAsInts();
            IntVector g = signedByte(wi, 0).mul(signedByte(xi, 0));
            for (int s = 1; s < 4; s++) g = g.add(signedByte(wi, s).mul(signedByte(xi, s)));
            FloatVector gf = (FloatVector) g.convert(VectorOperators.I2F, 0);
            total = gf.fma(FloatVector.broadcast(F8, WeightKernel.half(w, off) * xd[xb / 32]), total);
        }
        total.intoArray(acc, 0);
        return GgmlMath.reduce8(acc, 0);
    }

    /** Byte {@code s} (0 = lowest) of each int lane, sign-extended. */
    static IntVector signedByte(IntVector v, int s) {
        return v.lanewise(VectorOperators.LSHL, 24 - 8 * s).lanewise(VectorOperators.ASHR, 24);
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
