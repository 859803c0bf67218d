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
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.q, a.qs, a.d, a.sums, xo, a.cols, tmp)
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
     * Vector kernel, {@link #dotScalar}'s arithmetic. With 16 float lanes (512-bit vectors), sixteen blocks at a time,
     * with one horizontal reduction for all sixteen instead of one per block:
     * <ul>
     * <li>per pair of blocks, one 64-byte load and one byte shuffle put their 32 packed bytes into short lanes; the
     * low nibbles times the activations pre-widened to shorts and stored in pair order ({@link Activations#qs}), plus
     * the high nibbles times theirs, give lane j < 16 = block k's {@code n_j x_j + n_(j+16) x_(j+16)}, lane 16 + j
     * block k + 1's (exact: |2 * 15 * 127| < 2^15);</li>
     * <li>a transpose tree ({@link AttentionTask#scores16}'s, on 32 short lanes, two-vector {@code selectFrom}s) adds
     * the eight pair vectors down to one, block i in lanes 2i and 2i + 1, each a sum of 16 products (|16 * 15 * 127| <
     * 2^15); sign-extended and added as int lanes that is the exact {@code sum n_j x_j}, and minus {@code 8 sum x}
     * ({@link Activations#sums}) the block's {@code sumi} (an exact float: |sumi| < 2^24);</li>
     * <li>the sixteen fp16 scales are gathered from the same loads and widened in lanes (bit for bit
     * {@link Float#float16ToFloat}), times {@code d_x};</li>
     * <li>{@code total = fma(sumi, d_w * d_x, total)} block after block, in block order, as the twin: the sixteen
     * scalar fmas of a group run after the next group's vector work (their operands go through {@code tmp}; reading
     * them back at once stalled on store forwarding).</li>
     * </ul>
     * Integer sums are order-free, so the result is the twin's bit for bit. Blocks past the last whole sixteen,
     * narrower vectors, or a {@code tmp} shorter than {@link #TMP_FLOATS} run the former kernel, which reduced each
     * block's lanes on its own (one horizontal sum per 32 weights).
     *
     * <p>Measured (4096 x 4096, one thread, AVX-512 Zen 4, JMH): 1.27-1.34 ms per matvec against the former 1.8-1.9 ms.
     * Tried and dropped: copying the row into {@code tmp} to load from an array (no faster; in decode the copy stub
     * took the memory stalls), and running two weight rows' fma chains side by side (no faster: the vector work, not
     * the chain, bounds it).
     *
     * @param xq  Q8_0 activations as floats (the per-block path)
     * @param xqs the same as shorts, in {@link Activations#qs}'s pair order
     * @param tmp scratch: at least {@link #TMP_FLOATS} floats for the sixteen-block path
     */
    public static float dotVector(MemorySegment w, long off, float[] xq, short[] xqs, float[] xd, float[] xs, int xo,
                                  int cols, float[] tmp) {
        float total = 0f;
        int nb = cols / 32, bo = xo / 32, b = 0;
        int groups = nb / 16;
        if (SIXTEEN && groups > 0 && tmp.length >= TMP_FLOATS) {
            for (int gi = 0; gi < groups; gi++, b += 16, off += 16 * BLOCK_BYTES) {
                int xb = xo + 32 * b;
                // blocks k and k + 1 (the 64 bytes from block k; for the last pair the 64 that end block 15): their 16
                // low nibbles, then their 16 high nibbles, times the activations in that order (Activations#qs); lane
                // j < 16 of the sum is block k's n_j x_j + n_(j+16) x_(j+16), lane 16 + j block k + 1's: the tree's
                // first level, stored to tmp. The two blocks' fp16 d go to lanes k, k + 1 of dh.
                ShortVector dh = ShortVector.zero(H);
                for (int k = 0; k < 14; k += 2) {
                    ByteVector bytes = ByteVector.fromMemorySegment(BYTES, w, off + 18 * k, ByteOrder.LITTLE_ENDIAN);
                    ShortVector q = bytes.rearrange(PAIR).reinterpretAsShorts();
                    ShortVector lo = q.and((short) 0x0F).mul(ShortVector.fromArray(H, xqs, xb + 32 * k));
                    ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F)
                            .mul(ShortVector.fromArray(H, xqs, xb + 32 * k + 32));
                    lo.add(hi).reinterpretAsFloats().intoArray(tmp, LEVEL1 + 8 * k);
                    dh = ShortVector.fromArray(H, SCALES, 16 * k).selectFrom(bytes.reinterpretAsShorts(), dh);
                }
                { // the last pair, 28 bytes into the 64 that end the group
                    ByteVector bytes = ByteVector.fromMemorySegment(BYTES, w, off + 16 * BLOCK_BYTES - 64,
                            ByteOrder.LITTLE_ENDIAN);
                    ShortVector q = bytes.rearrange(PAIR_LAST).reinterpretAsShorts();
                    ShortVector lo = q.and((short) 0x0F).mul(ShortVector.fromArray(H, xqs, xb + 32 * 14));
                    ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F)
                            .mul(ShortVector.fromArray(H, xqs, xb + 32 * 15));
                    lo.add(hi).reinterpretAsFloats().intoArray(tmp, LEVEL1 + 8 * 14);
                    dh = ShortVector.fromArray(H, SCALES, 16 * 14).selectFrom(bytes.reinterpretAsShorts(), dh);
                }
                ShortVector x2 = ShortVector.fromArray(H, TREE, 0), y2 = ShortVector.fromArray(H, TREE, 32),
                        x3 = ShortVector.fromArray(H, TREE, 64), y3 = ShortVector.fromArray(H, TREE, 96),
                        x4 = ShortVector.fromArray(H, TREE, 128), y4 = ShortVector.fromArray(H, TREE, 160);
                ShortVector a0 = FloatVector.fromArray(F, tmp, LEVEL1).reinterpretAsShorts();
                ShortVector a1 = FloatVector.fromArray(F, tmp, LEVEL1 + 16).reinterpretAsShorts();
                ShortVector a2 = FloatVector.fromArray(F, tmp, LEVEL1 + 32).reinterpretAsShorts();
                ShortVector a3 = FloatVector.fromArray(F, tmp, LEVEL1 + 48).reinterpretAsShorts();
                ShortVector a4 = FloatVector.fromArray(F, tmp, LEVEL1 + 64).reinterpretAsShorts();
                ShortVector a5 = FloatVector.fromArray(F, tmp, LEVEL1 + 80).reinterpretAsShorts();
                ShortVector a6 = FloatVector.fromArray(F, tmp, LEVEL1 + 96).reinterpretAsShorts();
                ShortVector a7 = FloatVector.fromArray(F, tmp, LEVEL1 + 112).reinterpretAsShorts();
                ShortVector c0 = x2.selectFrom(a0, a1).add(y2.selectFrom(a0, a1));
                ShortVector c1 = x2.selectFrom(a2, a3).add(y2.selectFrom(a2, a3));
                ShortVector c2 = x2.selectFrom(a4, a5).add(y2.selectFrom(a4, a5));
                ShortVector c3 = x2.selectFrom(a6, a7).add(y2.selectFrom(a6, a7));
                ShortVector e0 = x3.selectFrom(c0, c1).add(y3.selectFrom(c0, c1));
                ShortVector e1 = x3.selectFrom(c2, c3).add(y3.selectFrom(c2, c3));
                IntVector g = x4.selectFrom(e0, e1).add(y4.selectFrom(e0, e1)).reinterpretAsInts();
                // int lane i: block i's two short lanes, sign-extended and added
                IntVector dots = g.lanewise(VectorOperators.ASHR, 16)
                        .add(g.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                int slot = SLOTS + 32 * (gi & 1);
                ((FloatVector) dots.convert(VectorOperators.I2F, 0)).sub(FloatVector.fromArray(F, xs, bo + b).mul(8f))
                        .intoArray(tmp, slot);
                // d_w: fp16 to float, exactly as Float.float16ToFloat (normal: exponent rebased; subnormal: the
                // integer times 2^-24; infinity/NaN: exponent all ones), times d_x
                IntVector h = ((IntVector) dh.convert(VectorOperators.S2I, 0)).and(0xFFFF);
                IntVector mag = h.and(0x7FFF), shifted = mag.lanewise(VectorOperators.LSHL, 13);
                IntVector bits = shifted.add(112 << 23)
                        .blend(shifted.or(0x7F800000), mag.compare(VectorOperators.GE, 0x7C00))
                        .blend(((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts(),
                                mag.compare(VectorOperators.LT, 0x400))
                        .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
                bits.reinterpretAsFloats().mul(FloatVector.fromArray(F, xd, bo + b)).intoArray(tmp, slot + 16);
                // the previous sixteen blocks' fmas, in block order (this group's stores have time to land)
                if (gi > 0) {
                    int prev = 2 * SLOTS + 32 - slot;
                    for (int k = 0; k < 16; k++) total = Math.fma(tmp[prev + k], tmp[prev + 16 + k], total);
                }
            }
            int last = SLOTS + 32 * (groups - 1 & 1);
            for (int k = 0; k < 16; k++) total = Math.fma(tmp[last + k], tmp[last + 16 + k], total);
        }
        for (; b < nb; b++, off += BLOCK_BYTES) {
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

    /** {@link #dotVector}'s sixteen-block path: 16 float lanes (512-bit vectors). */
    private static final boolean SIXTEEN = VectorWidth.ENABLED && WIDE;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_512;
    /** tmp: the tree's first level (eight vectors), then two slots of sixteen sumi and sixteen d (one group's and the
     * previous group's). */
    private static final int LEVEL1 = 0, SLOTS = 128;
    /** Floats of {@code tmp} {@link #dotVector}'s sixteen-block path uses (a worker's scratch row: cols >= 512). */
    public static final int TMP_FLOATS = 192;

    /** Bytes onto short lanes (both bytes of a lane): lane j < 16 takes qs byte j of the block at byte 0 of a vector,
     * lane 16 + j qs byte j of the block at byte 18 ({@link #PAIR_LAST}: of the blocks at bytes 28 and 46). */
    private static final VectorShuffle<Byte> PAIR = SIXTEEN
            ? VectorShuffle.fromOp(ByteVector.SPECIES_512, i -> i < 32 ? 2 + i / 2 : 20 + (i - 32) / 2) : null,
            PAIR_LAST = SIXTEEN
                    ? VectorShuffle.fromOp(ByteVector.SPECIES_512, i -> i < 32 ? 30 + i / 2 : 48 + (i - 32) / 2) : null;
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_512;
    /**
     * The transpose tree's index vectors for {@code selectFrom(u, v)} (index i < 32: lane i of u, 32 + i: lane i of v),
     * levels 2, 3, 4 at 0, 64, 128, X then Y ({@link #level}).
     */
    private static final short[] TREE = new short[192];
    /**
     * Per pair k (at 16 k): indexes for {@code selectFrom(pairShorts, dh)}: lanes k and k + 1 take the pair's two fp16
     * scales (shorts 0 and 9 of its 64 bytes; 14 and 23 for the last pair), the other lanes keep dh's (32 + lane).
     */
    private static final short[] SCALES = new short[16 * 32];

    static {
        for (int l = 0; l < 3; l++) {
            level(8 >> l, false, 64 * l);
            level(8 >> l, true, 64 * l + 32);
        }
        for (int k = 0; k < 16; k += 2)
            for (int i = 0; i < 32; i++) {
                int first = k < 14 ? 0 : 14; // the last pair's scales are shorts 14 and 23 of its 64 bytes
                SCALES[16 * k + i] = (short) (i == k ? first : i == k + 1 ? first + 9 : 32 + i);
            }
    }

    /**
     * One level of the tree into {@code TREE[at ..]}: vectors u, v hold groups of {@code 2h} lanes (one block's partial
     * sums each); {@code X.selectFrom(u, v) + Y.selectFrom(u, v)} holds u's groups then v's, each halved to h lanes:
     * X takes the first h lanes of every group, Y ({@code second}) the other h.
     */
    private static void level(int h, boolean second, int at) {
        for (int i = 0; i < 32; i++) {
            int half = i / 16, j = i % 16; // output lane i: group j / h of u (half 0) or v (half 1), lane j % h
            int src = (j / h) * 2 * h + (second ? h : 0) + j % h;
            TREE[at + i] = (short) (half == 0 ? src : src + 32);
        }
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
