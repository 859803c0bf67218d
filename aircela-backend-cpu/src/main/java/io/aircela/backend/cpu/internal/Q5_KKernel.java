package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
 * Q5_K weights times Q8_K activations, as ggml's x86 {@code ggml_vec_dot_q5_K_q8_K} (AVX2; llama.cpp does not
 * repack Q5_K on x86).
 * <pre>{@code
 * typedef struct {
 *     ggml_half d, dmin;      // super-block scales of the 6-bit scales and mins
 *     uint8_t   scales[12];   // as Q4_K
 *     uint8_t   qh[256 / 8];  // bit 2j (2j+1) of qh[l]: 5th bit of element 64j + l (64j + 32 + l)
 *     uint8_t   qs[256 / 2];  // low 4 bits, laid out as Q4_K
 * } block_q5_K;               // 176 bytes, w = d * sc * q - dmin * m
 * }</pre>
 * Per super-block, eight integer lanes: lane k sums {@code sc_s * q * q8} over elements 4k .. 4k+3 of every
 * 32-element sub-block s; {@code acc[k] = fma(dy * d, lane k, acc[k])}. The mins go to one float:
 * {@code summs += (-dy * dmin) * sum_s m_s * bsum_s}. Result {@code hsum_float_8(acc) + summs}.
 */
public final class Q5_KKernel implements WeightKernel {
    static final int BLOCK_BYTES = 176;
    /** {@link #dotVector}'s short and int lanes: the float width, at least 128 bits. */
    private static final int BITS = Math.max(128, VectorWidth.FLOATS.vectorBitSize());
    private static final VectorSpecies<Short> SHORTS = VectorWidth.shorts(BITS);
    private static final VectorSpecies<Integer> INTS = VectorWidth.ints(BITS);
    /** Columns of a sub-block at a time: as many as short lanes (8, 16 or 32). */
    private static final int CHUNK = SHORTS.length();
    private static final VectorSpecies<Byte> BYTES = VectorWidth.bytes(8 * CHUNK);
    /** One float per four columns of a chunk: twin lanes {@code c / 4 ..}. */
    private static final VectorSpecies<Float> LANES = VectorWidth.floats(8 * CHUNK);
    /** Byte i / 2 onto byte i of 16: each of the eight mins twice, for the sixteen bsums. */
    private static final VectorShuffle<Byte> PAIRS = VectorShuffle.fromOp(ByteVector.SPECIES_128, i -> i / 2);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_K;
    }

    /** Bit-exact with llama.cpp's integer block dots: no float GEMM. */
    @Override
    public boolean floatGemm() {
        return false;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qs, a.d, a.bsums, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, a.d, a.bsums, xo, a.cols, tmp);
    }

    /** 5-bit value of element e (0..255) of the super-block at {@code off}. */
    static int q5(MemorySegment w, long off, int e) {
        int j = e / 64, l = e % 32, hiHalf = (e >>> 5) & 1;
        int packed = Q4_KKernel.u8(w, off + 48 + 32 * j + l);
        int low = hiHalf == 0 ? packed & 0x0F : packed >>> 4;
        return low | (Q4_KKernel.u8(w, off + 16 + l) >>> (2 * j + hiHalf) & 1) << 4;
    }

    /** Scalar twin; {@code acc}: scratch of 8 or more. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int[] bsums, int xo, int cols,
                                  float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        float summs = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            float dy = xd[xb / 256];
            float d = dy * WeightKernel.half(w, off);
            float dmin = -dy * WeightKernel.half(w, off + 2);
            summs += dmin * Q4_KKernel.minSum(w, off, bsums, xb / 16);
            for (int k = 0; k < 8; k++) {
                int lane = 0;
                for (int s = 0; s < 8; s++) {
                    int g = 0;
                    for (int i = 32 * s + 4 * k; i < 32 * s + 4 * k + 4; i++) g += q5(w, off, i) * (int) xq[xb + i];
                    lane += Q4_KKernel.scale(w, off + 4, s) * g;
                }
                acc[k] = Math.fma(d, (float) lane, acc[k]);
            }
        }
        return GgmlMath.reduce8(acc, 0) + summs;
    }

    /**
     * Vector kernel, the twin's arithmetic in short lanes ({@link #SHORTS}: the float width, at least 128 bits), as
     * {@link Q4_KKernel#dotVector}. Chunk by chunk of {@link #CHUNK} columns of the sub-blocks, for the four pairs of
     * sub-blocks: the 5-bit values (nibble, zero-extended, or the qh bit shifted to 16) times the activations,
     * pre-widened to shorts ({@link Activations#qs}), exactly: {@code |31 * -128| < 2^15}; adjacent lanes pair up
     * into int lanes, {@code (p + (p << 16)) >> 16} (exact: {@code 2 * 3968 < 2^15}), times the sub-block scale,
     * summed over the eight sub-blocks. Twin lane k is columns 4k .. 4k+3: the int lanes pair up once more, in long
     * lanes ({@code (p + (p << 32)) >> 32}), and convert to float; then the twin's float steps lane for lane,
     * {@code acc[k] = fma(d, lane k, acc[k])}, and the mins as the twin. Integer sums are order-free, so the lanes
     * are the twin's exactly: bit-identical at every width. No vector crosses a call.
     * <p>Measured on AVX-512 (4096 x 4096, one thread, JMH): see the commit; the former kernel, 256-bit int lanes
     * through {@code Q4_KKernel.dot4} (a vector-taking helper, boxed when not inlined), ran 5.7-9.2 ms.
     */
    public static float dotVector(MemorySegment w, long off, short[] xq, float[] xd, int[] bsums, int xo, int cols,
                                  float[] acc) {
        java.util.Arrays.fill(acc, 0, 8, 0f);
        float summs = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            long head = w.get(LONG, off), tail = w.get(LONG, off + 8); // d, dmin, scales[0..3] | scales[4..11]
            long sc = Q4_KKernel.scales((int) (head >>> 32), (int) tail, (int) (tail >>> 32));
            long mn = Q4_KKernel.mins((int) (head >>> 32), (int) tail, (int) (tail >>> 32));
            float dy = xd[xb / 256];
            float d = dy * Float.float16ToFloat((short) head);
            float dmin = -dy * Float.float16ToFloat((short) (head >>> 16));
            // imin: lane i of the sixteen bsums (sums of 16) times min i / 2
            ByteVector m2 = LongVector.broadcast(LongVector.SPECIES_128, mn).reinterpretAsBytes().rearrange(PAIRS);
            IntVector mins = IntVector.zero(INTS);
            for (int p = 0; p < 16 / INTS.length(); p++)
                mins = mins.add(IntVector.fromArray(INTS, bsums, xb / 16 + p * INTS.length())
                        .mul((IntVector) m2.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p)));
            summs += dmin * mins.reduceLanes(VectorOperators.ADD);
            for (int c = 0; c < 32; c += CHUNK) { // columns c .. c + CHUNK - 1 of every sub-block
                // the qh bytes of these columns, times 16: bit 2j (2j + 1) of qh, shifted right by 2j, is 16 (32)
                ShortVector h = ((ShortVector) ByteVector.fromMemorySegment(BYTES, w, off + 16 + c, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0)).lanewise(VectorOperators.LSHL, 4);
                IntVector sum = IntVector.zero(INTS);
                for (int j = 0; j < 4; j++) {
                    int xj = xb + 64 * j + c;
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, off + 48 + 32 * j + c,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    ShortVector lo = q.and((short) 0x0F).or(h.and((short) 16)).mul(ShortVector.fromArray(SHORTS, xq, xj));
                    ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 1).and((short) 16))
                            .mul(ShortVector.fromArray(SHORTS, xq, xj + 32));
                    h = h.lanewise(VectorOperators.LSHR, 2);
                    IntVector pl = lo.reinterpretAsInts(), ph = hi.reinterpretAsInts();
                    pl = pl.add(pl.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    ph = ph.add(ph.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    sum = sum.add(pl.mul((int) (sc >>> 16 * j) & 0xFF)).add(ph.mul((int) (sc >>> 16 * j + 8) & 0xFF));
                }
                LongVector quad = sum.reinterpretAsLongs();
                quad = quad.add(quad.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.ASHR, 32);
                FloatVector lanes = (FloatVector) quad.convertShape(VectorOperators.L2F, LANES, 0);
                lanes.fma(FloatVector.broadcast(LANES, d), FloatVector.fromArray(LANES, acc, c / 4)).intoArray(acc, c / 4);
            }
        }
        return GgmlMath.reduce8(acc, 0) + summs;
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 256; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset), dmin = WeightKernel.half(w, rowOffset + 2);
            for (int s = 0; s < 8; s++) {
                float ds = d * Q4_KKernel.scale(w, rowOffset + 4, s), ms = dmin * Q4_KKernel.min(w, rowOffset + 4, s);
                for (int i = 32 * s; i < 32 * s + 32; i++) dst[dstOffset + b * 256 + i] = ds * q5(w, rowOffset, i) - ms;
            }
        }
    }
}
