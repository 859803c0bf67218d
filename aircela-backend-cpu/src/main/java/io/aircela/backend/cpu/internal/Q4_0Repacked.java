package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_0 weights repacked for row-parallel kernels (as llama.cpp repacks Q4_0 into {@code q4_0_8x8} on x86): rows
 * in groups of {@link #G} (the 16-bit lane count of a vector: 32 with 512-bit vectors), and for each group and
 * 32-column block
 * <pre>{@code
 *   ggml_fp16_t d[G];    // the G rows' block scales, as stored
 *   uint8 qs[16][G];     // qs[j][r] = byte j of row r's block: low nibble column j, high nibble column j + 16
 * }</pre>
 * ({@link #GROUP_BLOCK_BYTES} = 18 G bytes per G x 32 weights, Q4_0's own size: decode reads every byte once per
 * token, so a wider scale (floats cost 11% more bytes) would slow it as much). One G-byte load
 * then gives one column pair for all G rows, so a vector lane is a weight row: the activation is broadcast, the
 * per-block scales are vector loads, and no horizontal sum is left at the end.
 *
 * <p>Decode ({@link #gemv}) multiplies in 16-bit lanes: the nibbles (0..15) times the broadcast Q8 activation
 * (-128..127), summed over the block's 16 low and, apart, its 16 high nibbles, stays within a short
 * (|16 * 15 * 128| = 30720), so a block costs one widening load, two masks, two multiplies and two adds per column
 * pair, with no int-to-float conversion per weight; the sums are widened to ints once per block. Arithmetic per row as
 * ggml's reference {@code vec_dot_q4_0_q8_0}: the block's exact integer {@code sumi = sum n q - 8 sum q}, then
 * {@code total = fma(sumi, d_w * d_x, total)} block after block. {@link #dotScalar} is its scalar twin (bit-identical),
 * and {@link Q4_0Kernel} computes the same on the original layout.
 */
public final class Q4_0Repacked {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final VectorSpecies<Short> SHORTS = VectorWidth.shorts(S.vectorBitSize());
    private static final VectorSpecies<Integer> INTS = VectorWidth.ints(S.vectorBitSize());
    /** Float (and int) lanes per vector: a group is two of them. */
    private static final int F = S.length();
    /** Rows per group: the 16-bit lanes of one vector. */
    public static final int G = SHORTS.length();
    /** G bytes: one column (pair) of a group. */
    private static final VectorSpecies<Byte> BYTES = VectorWidth.bytes(Math.max(64, S.vectorBitSize() / 2));
    /** Bytes of one group's 32-column block. */
    public static final int GROUP_BLOCK_BYTES = 18 * G;
    /** Byte offset of the nibbles in a group's block, after the G scales. */
    private static final int QS = 2 * G;
    private static final ValueLayout.OfFloat F32 = WeightKernel.F32;

    private Q4_0Repacked() {
    }

    /**
     * Whether a {@code rows x cols} Q4_0 matrix can be repacked here: vector kernels on, 128 bits or more (groups of
     * 8+ rows that divide the GEMM's {@link PanelGemm#RW}-row panels), whole groups and blocks.
     */
    public static boolean supports(long rows, int cols) {
        return RowGroups.supports(G, 32, rows, cols);
    }

    /** Bytes of the repacked {@code rows x cols} matrix. */
    public static long byteSize(long rows, int cols) {
        return RowGroups.byteSize(G, 32, GROUP_BLOCK_BYTES, rows, cols);
    }

    /** Allocates the repacked form of {@code w} in {@code arena} (filled by {@link #repack}). */
    public static MemorySegment allocate(Arena arena, long rows, int cols) {
        return RowGroups.allocate(arena, G, 32, GROUP_BLOCK_BYTES, rows, cols);
    }

    /** Repacks row groups {@code [g0, g1)} of the Q4_0 matrix {@code w} ({@code cols} per row) into {@code rp}. */
    public static void repack(MemorySegment w, MemorySegment rp, int cols, int g0, int g1) {
        int nb = cols / 32;
        long rowBytes = (long) nb * Q4_0Kernel.BLOCK_BYTES;
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) {
                long dst = ((long) g * nb + b) * GROUP_BLOCK_BYTES;
                for (int r = 0; r < G; r++) {
                    long src = ((long) g * G + r) * rowBytes + (long) b * Q4_0Kernel.BLOCK_BYTES;
                    rp.set(WeightKernel.F16, dst + 2L * r, w.get(WeightKernel.F16, src));
                    for (int j = 0; j < 16; j++)
                        rp.set(ValueLayout.JAVA_BYTE, dst + QS + (long) j * G + r, w.get(ValueLayout.JAVA_BYTE, src + 2 + j));
                }
            }
        }
    }

    /**
     * The {@link #G} rows of group {@code g} times activation row {@code xRow} of {@code a} (Q8_0 form, with
     * {@link Activations#sums}) into {@code out[outIndex .. outIndex + G)} (floats of a segment); {@code tmp} holds
     * at least G floats.
     */
    public static void gemv(MemorySegment rp, int g, int cols, Activations a, int xRow, MemorySegment out, long outIndex,
                            float[] tmp) {
        int nb = cols / 32;
        long base = (long) g * nb * GROUP_BLOCK_BYTES;
        byte[] xq = a.qb;
        float[] xd = a.d, xs = a.sums;
        int xo = xRow * cols, bo = xo / 32;
        FloatVector total0 = FloatVector.zero(S), total1 = total0; // rows [0, F) and [F, G) of the group
        for (int b = 0; b < nb; b++, base += GROUP_BLOCK_BYTES) {
            // low and high nibbles apart (each sum fits a short), two chains each for the adds' latency
            ShortVector lo0 = ShortVector.zero(SHORTS), lo1 = lo0, hi0 = lo0, hi1 = lo0;
            int xb = xo + b * 32;
            long q = base + QS;
            for (int j = 0; j < 16; j += 2) {
                ShortVector p = (ShortVector) ByteVector.fromMemorySegment(BYTES, rp, q + (long) j * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                lo0 = lo0.add(p.and((short) 0x0F).mul(xq[xb + j]));
                hi0 = hi0.add(p.lanewise(VectorOperators.LSHR, 4).mul(xq[xb + j + 16]));
                ShortVector p2 = (ShortVector) ByteVector.fromMemorySegment(BYTES, rp, q + (long) (j + 1) * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                lo1 = lo1.add(p2.and((short) 0x0F).mul(xq[xb + j + 1]));
                hi1 = hi1.add(p2.lanewise(VectorOperators.LSHR, 4).mul(xq[xb + j + 17]));
            }
            // widen once per block: lane r of part 0 is row r, of part 1 row F + r; sumi = sum n q - 8 sum q, exact
            ShortVector lo = lo0.add(lo1), hi = hi0.add(hi1); // each still within a short: 16 products
            int offset = 8 * (int) xs[bo + b];
            IntVector s0 = ((IntVector) lo.convert(VectorOperators.S2I, 0)).add((IntVector) hi.convert(VectorOperators.S2I, 0))
                    .sub(offset);
            IntVector s1 = ((IntVector) lo.convert(VectorOperators.S2I, 1)).add((IntVector) hi.convert(VectorOperators.S2I, 1))
                    .sub(offset);
            // the scales widened from fp16 in int lanes, exactly (F16Kernel's conversion, written out: see there)
            float dx = xd[bo + b];
            ShortVector h = ShortVector.fromMemorySegment(SHORTS, rp, base, ByteOrder.LITTLE_ENDIAN);
            IntVector h0 = (IntVector) h.convert(VectorOperators.S2I, 0), h1 = (IntVector) h.convert(VectorOperators.S2I, 1);
            FloatVector d0 = h0.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, h0.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f).mul(dx);
            FloatVector d1 = h1.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, h1.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f).mul(dx);
            total0 = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(d0, total0);
            total1 = ((FloatVector) s1.convert(VectorOperators.I2F, 0)).fma(d1, total1);
        }
        // Through an array: FloatVector.intoMemorySegment's JDK-internal call site sees every segment class the
        // application stores vectors into, and once that profile is megamorphic C2 leaves the store un-intrinsified
        // (a boxed vector and a per-lane loop, measured as 70% of decode time).
        total0.intoArray(tmp, 0);
        total1.intoArray(tmp, F);
        MemorySegment.copy(tmp, 0, out, F32, outIndex * 4, G);
    }

    /** Scalar twin of {@link #gemv} for row {@code r} of group {@code g}: the same value, bit for bit. */
    public static float dotScalar(MemorySegment rp, int g, int r, int cols, Activations a, int xRow) {
        int nb = cols / 32;
        long base = (long) g * nb * GROUP_BLOCK_BYTES;
        int xo = xRow * cols, bo = xo / 32;
        float total = 0f;
        for (int b = 0; b < nb; b++, base += GROUP_BLOCK_BYTES) {
            int sumi = 0;
            for (int j = 0; j < 16; j++) {
                int packed = rp.get(ValueLayout.JAVA_BYTE, base + QS + (long) j * G + r) & 0xFF;
                sumi += ((packed & 0x0F) - 8) * (int) a.q[xo + b * 32 + j] + ((packed >>> 4) - 8) * (int) a.q[xo + b * 32 + j + 16];
            }
            float d = Float.float16ToFloat(rp.get(WeightKernel.F16, base + 2L * r)) * a.d[bo + b];
            total = Math.fma((float) sumi, d, total);
        }
        return total;
    }

    /**
     * Fills a {@link PanelGemm} panel ({@code panel[po + k * RW + i]}, {@code k < kc}, {@code i <} {@link PanelGemm#RW})
     * with the dequantized weights of the groups from {@code g} on that make up RW rows, columns {@code [k0, k0 + kc)}:
     * {@code d * (n - 8)}, the values {@link Q4_0Kernel#dequantizeRow} gives, so the GEMM's result does not depend on
     * the layout.
     */
    static void panel(MemorySegment rp, int g, int cols, int k0, int kc, float[] panel, int po) {
        int nb = cols / 32, rw = PanelGemm.RW;
        for (int h = 0; h < rw / G; h++) {
            long base = ((long) (g + h) * nb + k0 / 32) * GROUP_BLOCK_BYTES;
            for (int b = 0; b < kc / 32; b++, base += GROUP_BLOCK_BYTES) {
                for (int part = 0; part < 2; part++) { // rows [part F, part F + F) of the group
                    IntVector hd = (IntVector) ShortVector.fromMemorySegment(SHORTS, rp, base, ByteOrder.LITTLE_ENDIAN)
                            .convert(VectorOperators.S2I, part);
                    FloatVector d = hd.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                            .lanewise(VectorOperators.OR, 0x70000000, hd.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                            .reinterpretAsFloats().mul(0x1p112f);
                    int lane = h * G + part * F;
                    for (int j = 0; j < 16; j++) {
                        IntVector p = (IntVector) ByteVector.fromMemorySegment(BYTES, rp, base + QS + (long) j * G,
                                ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part);
                        ((FloatVector) p.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                                .intoArray(panel, po + (b * 32 + j) * rw + lane);
                        ((FloatVector) p.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                                .intoArray(panel, po + (b * 32 + j + 16) * rw + lane);
                    }
                }
            }
        }
    }
}
