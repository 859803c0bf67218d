package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.aircela.backend.cpu.internal.BlockPairs.BYTES;
import static io.aircela.backend.cpu.internal.BlockPairs.F;
import static io.aircela.backend.cpu.internal.BlockPairs.H;
import static io.aircela.backend.cpu.internal.BlockPairs.LOW8;
import static io.aircela.backend.cpu.internal.BlockPairs.PAIRS;
import static io.aircela.backend.cpu.internal.BlockPairs.SWAP;
import static io.aircela.backend.cpu.internal.BlockPairs.X;
import static io.aircela.backend.cpu.internal.BlockPairs.Y;

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
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_1;
    }

    /** Bit-exact with llama.cpp's integer block dots: no float GEMM. */
    @Override
    public boolean floatGemm() {
        return false;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qs, a.qb, a.d, a.s, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, a.d, a.s, xo, a.cols, tmp);
    }

    /**
     * Scalar twin in ggml's x86 order ({@code ggml_vec_dot_q4_1_q8_1}): eight float lanes, lane k accumulating
     * {@code fma(dw * dx, sum of products of elements 4k .. 4k+3, lane)}, reduced by {@link GgmlMath#reduce8};
     * the min terms {@code m * sx} add up separately in float and come last. {@code acc}: scratch of 8 or more.
     */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, float[] xs, int xo, int cols,
                                  float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        float mins = 0f;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            mins += WeightKernel.half(w, off + 2) * xs[xb / 32];
            float d = WeightKernel.half(w, off) * xd[xb / 32];
            for (int k = 0; k < 8; k++) {
                int g = 0;
                for (int i = 4 * k; i < 4 * k + 4; i++) {
                    int packed = w.get(ValueLayout.JAVA_BYTE, off + 4 + (i & 15)) & 0xFF;
                    g += (i < 16 ? packed & 0x0F : packed >>> 4) * (int) xq[xb + i];
                }
                acc[k] = Math.fma(d, (float) g, acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0) + mins;
    }

    /**
     * Vector kernel, the twin's arithmetic. With 512-bit vectors, two blocks per 64-byte load in short lanes:
     * the nibbles 0..15, times the activation shorts in {@link Activations#qs}'s pair order, the groups' exact sums {@code g} by
     * {@link Q5_0Kernel#dotVector}'s selectFrom pair and int sign extension, then {@code acc = fma(d, g, acc)}
     * per block on lanes 0..7 in block order and the min terms added one block after the other, as the twin: bit for
     * bit. The last block of an odd count, or a pair whose load would pass the segment's end, runs the twin per block;
     * narrower vectors run the former kernel ({@link #dotVectorInts}).
     *
     * @param xqs the activations as shorts, in {@link Activations#qs}'s pair order
     * @param xq  the same as bytes, natural order (the per-block paths)
     * @param acc scratch: at least 8 floats
     */
    public static float dotVector(MemorySegment w, long off, short[] xqs, byte[] xq, float[] xd, float[] xs, int xo,
                                  int cols, float[] acc) {
        if (!PAIRS) return dotVectorInts(w, off, xq, xd, xs, xo, cols, acc);
        int nb = cols / 32, bo = xo / 32, b = 0;
        long end = w.byteSize() - 64;
        FloatVector sum = FloatVector.zero(F);
        float mins = 0f;
        for (; b + 1 < nb && off <= end; b += 2, off += 2 * BLOCK_BYTES) {
            int xb = xo + 32 * b;
            ByteVector bytes = ByteVector.fromMemorySegment(BYTES, w, off, ByteOrder.LITTLE_ENDIAN);
            ShortVector q = bytes.rearrange(QS).reinterpretAsShorts();
            ShortVector lo = q.and((short) 0x0F).mul(ShortVector.fromArray(H, xqs, xb));
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F)
                    .mul(ShortVector.fromArray(H, xqs, xb + 32));
            IntVector g = X.selectFrom(lo, hi).add(Y.selectFrom(lo, hi)).reinterpretAsInts();
            FloatVector gf = (FloatVector) g.lanewise(VectorOperators.ASHR, 16)
                    .add(g.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0);
            mins += WeightKernel.half(w, off + 2) * xs[bo + b];
            mins += WeightKernel.half(w, off + BLOCK_BYTES + 2) * xs[bo + b + 1];
            float d0 = WeightKernel.half(w, off) * xd[bo + b];
            float d1 = WeightKernel.half(w, off + BLOCK_BYTES) * xd[bo + b + 1];
            sum = gf.fma(FloatVector.broadcast(F, d0), sum); // fma(g, d, acc) == fma(d, g, acc)
            sum = gf.rearrange(SWAP).fma(FloatVector.broadcast(F, d1), sum);
        }
        sum.intoArray(acc, 0, LOW8);
        for (; b < nb; b++, off += BLOCK_BYTES) { // the twin, per block
            int xb = xo + b * 32;
            mins += WeightKernel.half(w, off + 2) * xs[xb / 32];
            float d = WeightKernel.half(w, off) * xd[xb / 32];
            for (int k = 0; k < 8; k++) {
                int g = 0;
                for (int i = 4 * k; i < 4 * k + 4; i++) {
                    int packed = w.get(ValueLayout.JAVA_BYTE, off + 4 + (i & 15)) & 0xFF;
                    g += (i < 16 ? packed & 0x0F : packed >>> 4) * xq[xb + i];
                }
                acc[k] = Math.fma(d, (float) g, acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0) + mins;
    }

    /** {@link #dotVector}'s byte shuffles onto short lanes ({@link BlockPairs}): qs. */
    private static final VectorShuffle<Byte> QS = BlockPairs.qs(BLOCK_BYTES, 4);

    /**
     * The former kernel (narrower vectors): the 16 packed bytes are four int lanes; nibble s of the low (high)
     * halves gives elements 4k+s of groups 0..3 (4..7), multiplied by the matching activation bytes.
     */
    static float dotVectorInts(MemorySegment w, long off, byte[] xq, float[] xd, float[] xs, int xo, int cols,
                                  float[] acc) {
        FloatVector lo = FloatVector.zero(F4), hi = FloatVector.zero(F4);
        float mins = 0f;
        for (int b = 0; b < cols / 32; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 32;
            mins += WeightKernel.half(w, off + 2) * xs[xb / 32];
            IntVector p = ByteVector.fromMemorySegment(B16, w, off + 4, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
            IntVector xl = ByteVector.fromArray(B16, xq, xb).reinterpretAsInts();
            IntVector xh = ByteVector.fromArray(B16, xq, xb + 16).reinterpretAsInts();
            IntVector gl = nibble(p, 0).mul(Q8_0Kernel.signedByte(xl, 0));
            IntVector gh = nibble(p, 4).mul(Q8_0Kernel.signedByte(xh, 0));
            for (int s = 1; s < 4; s++) {
                gl = gl.add(nibble(p, 8 * s).mul(Q8_0Kernel.signedByte(xl, s)));
                gh = gh.add(nibble(p, 8 * s + 4).mul(Q8_0Kernel.signedByte(xh, s)));
            }
            FloatVector d = FloatVector.broadcast(F4, WeightKernel.half(w, off) * xd[xb / 32]);
            lo = ((FloatVector) gl.convert(VectorOperators.I2F, 0)).fma(d, lo);
            hi = ((FloatVector) gh.convert(VectorOperators.I2F, 0)).fma(d, hi);
        }
        lo.intoArray(acc, 0);
        hi.intoArray(acc, 4);
        return GgmlMath.reduce8(acc, 0) + mins;
    }

    private static IntVector nibble(IntVector v, int shift) {
        return v.lanewise(VectorOperators.LSHR, shift).and(0x0F);
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
