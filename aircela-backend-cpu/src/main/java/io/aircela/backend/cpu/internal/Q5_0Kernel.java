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
import static io.aircela.backend.cpu.internal.BlockPairs.SHIFTS;
import static io.aircela.backend.cpu.internal.BlockPairs.SWAP;
import static io.aircela.backend.cpu.internal.BlockPairs.X;
import static io.aircela.backend.cpu.internal.BlockPairs.Y;

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
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qs, a.qb, a.d, xo, a.cols, tmp)
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
     * Vector kernel, the twin's arithmetic. With 16 float lanes (512-bit vectors), two blocks at a time, in short
     * lanes:
     * <ul>
     * <li>one 64-byte load holds both blocks (44 bytes); one byte shuffle puts qs byte e of block k (k + 1) into
     * both bytes of short lane e (16 + e), another their qh bytes (the low byte: the one holding element e's 5th bit,
     * the high byte: element 16 + e's); a per-lane shift by e % 8 brings both bits down, so the low nibbles with
     * their 5th bit minus 16, and the high nibbles with theirs, are the signed weights -16..15;</li>
     * <li>times the activations as shorts in {@link Activations#qs}'s pair order (products |.| <= 2048), one
     * two-vector {@code selectFrom} pair adds neighbours so that short lanes 2i, 2i + 1 hold halves of group i's
     * four products (block k's group i in int lane i < 8, block k + 1's group i - 8 in lanes 8..15); sign-extended
     * and added as ints that is the exact integer {@code g} of the twin's lane;</li>
     * <li>{@code acc = fma(d, g, acc)}, block k on lanes 0..7, then block k + 1's groups (the halves swapped) on the
     * same lanes: the twin's eight fma chains in block order (lanes 8..15 are scratch).</li>
     * </ul>
     * Integer sums are order-free, so the result is the twin's bit for bit. The last block of an odd count, a pair
     * whose 64-byte load would run past the segment, run the twin's arithmetic per block; narrower vectors run the
     * former kernel ({@link #dotVectorInts}).
     *
     * @param xqs the activations as shorts, in {@link Activations#qs}'s pair order
     * @param xq  the same as bytes, natural order (the per-block paths)
     * @param acc scratch: at least 8 floats
     */
    public static float dotVector(MemorySegment w, long off, short[] xqs, byte[] xq, float[] xd, int xo, int cols,
                                  float[] acc) {
        if (!PAIRS) return dotVectorInts(w, off, xq, xd, xo, cols, acc);
        int nb = cols / 32, bo = xo / 32, b = 0;
        long end = w.byteSize() - 64;
        FloatVector sum = FloatVector.zero(F);
        for (; b + 1 < nb && off <= end; b += 2, off += 2 * BLOCK_BYTES) {
            int xb = xo + 32 * b;
            ByteVector bytes = ByteVector.fromMemorySegment(BYTES, w, off, ByteOrder.LITTLE_ENDIAN);
            ShortVector q = bytes.rearrange(QS).reinterpretAsShorts();
            ShortVector t = bytes.rearrange(QH).reinterpretAsShorts().lanewise(VectorOperators.LSHR, SHIFTS);
            ShortVector lo = q.and((short) 0x0F).or(t.lanewise(VectorOperators.LSHL, 4).and((short) 0x10))
                    .sub((short) 16).mul(ShortVector.fromArray(H, xqs, xb));
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F)
                    .or(t.lanewise(VectorOperators.LSHR, 4).and((short) 0x10))
                    .sub((short) 16).mul(ShortVector.fromArray(H, xqs, xb + 32));
            IntVector g = X.selectFrom(lo, hi).add(Y.selectFrom(lo, hi)).reinterpretAsInts();
            FloatVector gf = (FloatVector) g.lanewise(VectorOperators.ASHR, 16)
                    .add(g.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0);
            float d0 = WeightKernel.half(w, off) * xd[bo + b];
            float d1 = WeightKernel.half(w, off + BLOCK_BYTES) * xd[bo + b + 1];
            sum = gf.fma(FloatVector.broadcast(F, d0), sum); // fma(g, d, acc) == fma(d, g, acc): the exact product, rounded once
            sum = gf.rearrange(SWAP).fma(FloatVector.broadcast(F, d1), sum);
        }
        sum.intoArray(acc, 0, LOW8);
        for (; b < nb; b++, off += BLOCK_BYTES) { // the twin, per block
            int xb = xo + b * 32;
            int qh = w.get(WeightKernel.I32, off + 2);
            float d = WeightKernel.half(w, off) * xd[xb / 32];
            for (int k = 0; k < 8; k++) {
                int g = 0;
                for (int i = 4 * k; i < 4 * k + 4; i++) g += weight(w, off, qh, i) * xq[xb + i];
                acc[k] = Math.fma(d, (float) g, acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0);
    }

    /** {@link #dotVector}'s byte shuffles onto short lanes ({@link BlockPairs}): qs and qh. */
    private static final VectorShuffle<Byte> QS = BlockPairs.qs(BLOCK_BYTES, 6), QH = BlockPairs.qh(BLOCK_BYTES, 2);

    /**
     * The former kernel (narrower vectors): the 16 packed bytes are four int lanes; byte s of lane k in the low
     * (high) nibbles is element 4k+s (16+4k+s), its 5th bit is qh bit 4k+s (16+4k+s).
     */
    static float dotVectorInts(MemorySegment w, long off, byte[] xq, float[] xd, int xo, int cols, float[] acc) {
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
