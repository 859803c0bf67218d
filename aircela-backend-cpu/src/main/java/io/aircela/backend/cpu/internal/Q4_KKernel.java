package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_K weights times Q8_K activations, as llama.cpp's x86 CPU backend computes them.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;            // super-block scale for the 6-bit scales
 *     ggml_half dmin;         // super-block scale for the 6-bit mins
 *     uint8_t   scales[12];   // 8 scales and 8 mins of 6 bits (get_scale_min_k4)
 *     uint8_t   qs[256 / 2];  // 64-element group j: low nibbles of qs[32j ..] are sub-block 2j, high 2j+1
 * } block_q4_K;               // 144 bytes, w = d * sc * q - dmin * m
 * }</pre>
 * On AVX2 machines llama.cpp repacks Q4_K tensors whose row count is a multiple of 8 into {@code block_q4_Kx8}
 * and multiplies with {@code ggml_gemv_q4_K_8x8_q8_K}, whose per-row arithmetic is simple: per super-block the
 * exact integers {@code isum = sum_s sc_s * (q . q8)_s} and {@code imin = sum_s m_s * bsum_s}, then
 * {@code acc = fma(isum, d * dy, acc)}, {@code accMin = fma(imin, dmin * dy, accMin)}, result
 * {@code acc - accMin}. That is what both twins compute (bit-identical: only the integers are vectorized).
 * (The unrepacked {@code ggml_vec_dot_q4_K_q8_K}, used for row counts not a multiple of 8, spreads isum over
 * eight float lanes; on real models that case does not arise.) Weights of a fully resident model run repacked
 * ({@link Q4_KRepacked}, rows in vector lanes), with the same bits; this row kernel serves streamed weights.
 */
public final class Q4_KKernel implements WeightKernel {
    static final int BLOCK_BYTES = 144;
    /** {@link #dotVector}'s short and int lanes: the float width, at least 128 bits (byte species start at 64). */
    private static final int BITS = Math.max(128, VectorWidth.FLOATS.vectorBitSize());
    private static final VectorSpecies<Short> SHORTS = VectorWidth.shorts(BITS);
    private static final VectorSpecies<Integer> INTS = VectorWidth.ints(BITS);
    /** Bytes widened at a time: as many as short lanes (8, 16 or 32). */
    private static final int CHUNK = SHORTS.length();
    private static final VectorSpecies<Byte> BYTES = VectorWidth.bytes(8 * CHUNK);
    /** Byte i / 2 onto byte i of 16: each of the eight mins twice, for the sixteen bsums. */
    private static final VectorShuffle<Byte> PAIRS = VectorShuffle.fromOp(ByteVector.SPECIES_128, i -> i / 2);

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_K;
    }

    /**
     * The one-token dot is bit-exact with llama.cpp; prefill runs the float GEMM all the same ({@link PanelGemm}):
     * on the Q4_K golden it moves the logits by 3e-6 (1e-6 bit-exact), and it is ~10x the row-by-row prefill.
     */
    @Override
    public boolean floatGemm() {
        return true;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qs, a.d, a.bsums, xo, a.cols)
                : dotScalar(w, rowOffset, a.q, a.d, a.bsums, xo, a.cols);
    }

    /** 6-bit scale of sub-block j (0..7) of the K-quant scales at byte {@code sc} ({@code get_scale_min_k4}). */
    static int scale(MemorySegment w, long sc, int j) {
        return j < 4 ? u8(w, sc + j) & 63 : u8(w, sc + j + 4) & 0x0F | (u8(w, sc + j - 4) >>> 6) << 4;
    }

    /** 6-bit min of sub-block j (0..7) of the K-quant scales at byte {@code sc}. */
    static int min(MemorySegment w, long sc, int j) {
        return j < 4 ? u8(w, sc + j + 4) & 63 : u8(w, sc + j + 4) >>> 4 | (u8(w, sc + j) >>> 6) << 4;
    }

    static int u8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /** {@code sum_s m_s * (bsum_{2s} + bsum_{2s+1})} of the super-block at {@code off}; {@code bo}: its first bsum. */
    static int minSum(MemorySegment w, long off, int[] bsums, int bo) {
        int imin = 0;
        for (int s = 0; s < 8; s++) imin += min(w, off + 4, s) * (bsums[bo + 2 * s] + bsums[bo + 2 * s + 1]);
        return imin;
    }

    /** 4-bit value of element e (0..255) of the super-block at {@code off}. */
    static int q4(MemorySegment w, long off, int e) {
        int packed = u8(w, off + 16 + 32 * (e / 64) + e % 32);
        return (e & 32) == 0 ? packed & 0x0F : packed >>> 4;
    }

    /** Scalar twin. {@code xq}: Q8_K integers as floats, {@code xd}: their float scales, {@code bsums}: sums of 16. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int[] bsums, int xo, int cols) {
        float acc = 0f, accMin = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            int isum = 0;
            for (int s = 0; s < 8; s++) {
                int dot = 0;
                for (int i = 32 * s; i < 32 * s + 32; i++) dot += q4(w, off, i) * (int) xq[xb + i];
                isum += scale(w, off + 4, s) * dot;
            }
            float dy = xd[xb / 256];
            acc = Math.fma((float) isum, WeightKernel.half(w, off) * dy, acc);
            accMin = Math.fma((float) minSum(w, off, bsums, xb / 16), WeightKernel.half(w, off + 2) * dy, accMin);
        }
        return acc - accMin;
    }

    /**
     * Vector kernel, the twin's arithmetic in short lanes ({@link #SHORTS}: the float width). Per sub-block of 32
     * weights the nibbles, zero-extended, multiply the activations, pre-widened to shorts ({@link Activations#qs}),
     * exactly: {@code |15 * -128| < 2^15}; below 512 bits the chunks of a sub-block add up in short lanes (at most
     * four: {@code 4 * 1920}). Adjacent lanes then pair up into int lanes, {@code (p + (p << 16)) >> 16} (exact
     * while the pair sum fits 16 bits: ggml's {@code vpmaddwd} step), times the sub-block scale. The mins term is
     * vector too: the sixteen bsums times each min twice. Scales and mins come out of the twelve bytes all eight
     * at once, without branches ({@link #scales}, {@link #mins}). Integer sums are order-free, so the isum and
     * imin are the twin's exactly and the float steps are the same: bit-identical at every width.
     * <p>Measured on AVX-512 (4096 x 4096, one thread) against the former kernel, which shifted each byte out of
     * 256-bit int lanes four times per lane and read mins with branches: 2.5x at 512 bits, 2.1x at 256, 1.6x at
     * 128. Widening the activations once per matmul instead of per row was 9% of it at 512 bits.
     */
    public static float dotVector(MemorySegment w, long off, short[] xq, float[] xd, int[] bsums, int xo, int cols) {
        float acc = 0f, accMin = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            long head = w.get(LONG, off), tail = w.get(LONG, off + 8); // d, dmin, scales[0..3] | scales[4..11]
            long sc = scales((int) (head >>> 32), (int) tail, (int) (tail >>> 32));
            long mn = mins((int) (head >>> 32), (int) tail, (int) (tail >>> 32));
            IntVector sum = IntVector.zero(INTS);
            for (int j = 0; j < 4; j++) {
                long qo = off + 16 + 32 * j;
                int xj = xb + 64 * j;
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, qo, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                ShortVector lo = q.and((short) 0x0F).mul(ShortVector.fromArray(SHORTS, xq, xj));
                ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(SHORTS, xq, xj + 32));
                for (int k = CHUNK; k < 32; k += CHUNK) { // narrower than 512 bits: the rest of the sub-block
                    q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, qo + k, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    lo = lo.add(q.and((short) 0x0F).mul(ShortVector.fromArray(SHORTS, xq, xj + k)));
                    hi = hi.add(q.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(SHORTS, xq, xj + 32 + k)));
                }
                IntVector pl = lo.reinterpretAsInts(), ph = hi.reinterpretAsInts();
                pl = pl.add(pl.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                ph = ph.add(ph.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                sum = sum.add(pl.mul((int) (sc >>> 16 * j) & 0xFF)).add(ph.mul((int) (sc >>> 16 * j + 8) & 0xFF));
            }
            // imin: lane i of the sixteen bsums (sums of 16) times min i / 2
            ByteVector m2 = LongVector.broadcast(LongVector.SPECIES_128, mn).reinterpretAsBytes().rearrange(PAIRS);
            IntVector mins = IntVector.zero(INTS);
            for (int p = 0; p < 16 / INTS.length(); p++)
                mins = mins.add(IntVector.fromArray(INTS, bsums, xb / 16 + p * INTS.length())
                        .mul((IntVector) m2.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p)));
            int imin = mins.reduceLanes(VectorOperators.ADD);
            float dy = xd[xb / 256];
            acc = Math.fma((float) sum.reduceLanes(VectorOperators.ADD), Float.float16ToFloat((short) head) * dy, acc);
            accMin = Math.fma((float) imin, Float.float16ToFloat((short) (head >>> 16)) * dy, accMin);
        }
        return acc - accMin;
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The eight 6-bit scales of a super-block whose scale bytes 0..3, 4..7, 8..11 are {@code u0, u1, u2}
     * (little-endian), byte s = {@link #scale} s: llama.cpp's {@code kmask} unpacking of all eight at once,
     * without the branches of {@code get_scale_min_k4}.
     */
    static long scales(int u0, int u1, int u2) {
        int high = u2 & 0x0F0F0F0F | (u0 >>> 6 & 0x03030303) << 4;
        return (u0 & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) high << 32;
    }

    /** The eight 6-bit mins, byte s = {@link #min} s; arguments as {@link #scales}. */
    static long mins(int u0, int u1, int u2) {
        int high = u2 >>> 4 & 0x0F0F0F0F | (u1 >>> 6 & 0x03030303) << 4;
        return (u1 & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) high << 32;
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 256; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset), dmin = WeightKernel.half(w, rowOffset + 2);
            for (int s = 0; s < 8; s++) {
                float ds = d * scale(w, rowOffset + 4, s), ms = dmin * min(w, rowOffset + 4, s);
                for (int i = 32 * s; i < 32 * s + 32; i++) dst[dstOffset + b * 256 + i] = ds * q4(w, rowOffset, i) - ms;
            }
        }
    }
}
