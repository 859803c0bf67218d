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
 * Q4_K weights repacked for row-parallel kernels (as llama.cpp repacks Q4_K into {@code block_q4_Kx8} on x86): rows
 * in groups of {@link #G} (the 16-bit lane count of a vector), and for each group and 256-column super-block
 * <pre>{@code
 *   ggml_fp16_t d[G], dmin[G]; // the G rows' super-block scales, as stored
 *   uint8 sc[8][G];       // sc[s][r] = 6-bit scale of sub-block s of row r
 *   uint8 m[8][G];        // m[s][r]  = 6-bit min of sub-block s of row r
 *   uint8 qs[128][G];     // qs[c][r] = byte c of row r's qs (c = 32 j + i: low nibble column 64 j + i, high 64 j + 32 + i)
 * }</pre>
 * ({@link #GROUP_BLOCK_BYTES} = 148 G bytes per G x 256 weights, 2.8% more than Q4_K's 144 per 256: the 6-bit scales
 * and mins take a byte each; the fp16 scales stay fp16, decode being bound by the bytes it reads). A vector lane
 * is a weight row: the activation is broadcast, scales and mins are vector loads, and no horizontal sum is left.
 *
 * <p>Decode ({@link #gemv}): the nibbles (0..15) times the broadcast Q8_K activation (-128..127) add up in 16-bit
 * lanes over 16 columns (|16 * 15 * 128| = 30720 fits a short; 32 would not), are widened to ints per half sub-block
 * and multiplied by the sub-block scale; the mins term is {@code sum_s m_s * (bsum_2s + bsum_2s+1)} in int lanes.
 * The integers are exact, and the float steps per row are {@link Q4_KKernel#dotScalar}'s: {@code acc = fma(isum,
 * d * dy, acc)}, {@code accMin = fma(imin, dmin * dy, accMin)}, {@code acc - accMin}, so the result is bit-identical
 * to the row kernels ({@link #dotScalar} is the scalar twin on this layout).
 */
public final class Q4_KRepacked {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final VectorSpecies<Short> SHORTS = VectorWidth.shorts(S.vectorBitSize());
    private static final VectorSpecies<Integer> INTS = VectorWidth.ints(S.vectorBitSize());
    /** Float (and int) lanes per vector: a group is two of them. */
    private static final int F = S.length();
    /** Rows per group: the 16-bit lanes of one vector. */
    public static final int G = SHORTS.length();
    /** G bytes: one column of a group. */
    private static final VectorSpecies<Byte> BYTES = VectorWidth.bytes(Math.max(64, S.vectorBitSize() / 2));
    /** Bytes of one group's 256-column super-block. */
    public static final int GROUP_BLOCK_BYTES = 148 * G;
    private static final int DMIN = 2 * G, SC = 4 * G, MN = 12 * G, QS = 20 * G;
    private static final ValueLayout.OfFloat F32 = WeightKernel.F32;

    private Q4_KRepacked() {
    }

    /** Whether a {@code rows x cols} Q4_K matrix can be repacked here (as {@link Q4_0Repacked#supports}). */
    public static boolean supports(long rows, int cols) {
        return RowGroups.supports(G, 256, rows, cols);
    }

    /** Bytes of the repacked {@code rows x cols} matrix. */
    public static long byteSize(long rows, int cols) {
        return RowGroups.byteSize(G, 256, GROUP_BLOCK_BYTES, rows, cols);
    }

    /** Allocates the repacked form of a {@code rows x cols} matrix in {@code arena} (filled by {@link #repack}). */
    public static MemorySegment allocate(Arena arena, long rows, int cols) {
        return RowGroups.allocate(arena, G, 256, GROUP_BLOCK_BYTES, rows, cols);
    }

    /** Repacks row groups {@code [g0, g1)} of the Q4_K matrix {@code w} ({@code cols} per row) into {@code rp}. */
    public static void repack(MemorySegment w, MemorySegment rp, int cols, int g0, int g1) {
        int nb = cols / 256;
        long rowBytes = (long) nb * Q4_KKernel.BLOCK_BYTES;
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) {
                long dst = ((long) g * nb + b) * GROUP_BLOCK_BYTES;
                for (int r = 0; r < G; r++) {
                    long src = ((long) g * G + r) * rowBytes + (long) b * Q4_KKernel.BLOCK_BYTES;
                    rp.set(WeightKernel.F16, dst + 2L * r, w.get(WeightKernel.F16, src));
                    rp.set(WeightKernel.F16, dst + DMIN + 2L * r, w.get(WeightKernel.F16, src + 2));
                    for (int s = 0; s < 8; s++) {
                        rp.set(ValueLayout.JAVA_BYTE, dst + SC + (long) s * G + r, (byte) Q4_KKernel.scale(w, src + 4, s));
                        rp.set(ValueLayout.JAVA_BYTE, dst + MN + (long) s * G + r, (byte) Q4_KKernel.min(w, src + 4, s));
                    }
                    for (int c = 0; c < 128; c++)
                        rp.set(ValueLayout.JAVA_BYTE, dst + QS + (long) c * G + r, w.get(ValueLayout.JAVA_BYTE, src + 16 + c));
                }
            }
        }
    }

    /**
     * The {@link #G} rows of group {@code g} times activation row {@code xRow} of {@code a} (Q8_K form) into
     * {@code out[outIndex .. outIndex + G)} (floats of a segment); {@code tmp} holds at least G floats, {@code buf}
     * at least {@link #GROUP_BLOCK_BYTES} bytes.
     * <p>Each super-block is copied into {@code buf} and its nibbles, scales and mins are loaded from there: in a whole
     * run {@code ByteVector.fromMemorySegment}'s JDK-internal call site sees mapped, native and heap segments, and with
     * that megamorphic profile every load made two virtual calls (the gemv ran 3x slower than in isolation).
     */
    public static void gemv(MemorySegment rp, int g, int cols, Activations a, int xRow, MemorySegment out, long outIndex,
                            float[] tmp, byte[] buf) {
        int nb = cols / 256;
        long base = (long) g * nb * GROUP_BLOCK_BYTES;
        short[] xq = a.qs;
        float[] xd = a.d;
        int[] bsums = a.bsums;
        int xo = xRow * cols;
        FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, min0 = acc0, min1 = acc0; // rows [0, F), [F, G)
        for (int b = 0; b < nb; b++, base += GROUP_BLOCK_BYTES) {
            int xb = xo + 256 * b, bo = xb / 16;
            MemorySegment.copy(rp, ValueLayout.JAVA_BYTE, base, buf, 0, GROUP_BLOCK_BYTES);
            IntVector isum0 = IntVector.zero(INTS), isum1 = isum0;
            for (int j = 0; j < 4; j++) { // sub-blocks 2j (low nibbles) and 2j + 1 (high nibbles)
                // columns [0, 16) and [16, 32) of each sub-block apart: 16 products each fit a short
                ShortVector lo0 = ShortVector.zero(SHORTS), lo1 = lo0, hi0 = lo0, hi1 = lo0;
                int q = QS + 32 * j * G;
                int x = xb + 64 * j;
                for (int i = 0; i < 16; i++) {
                    ShortVector p = (ShortVector) ByteVector.fromArray(BYTES, buf, q + i * G)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    lo0 = lo0.add(p.and((short) 0x0F).mul(xq[x + i]));
                    hi0 = hi0.add(p.lanewise(VectorOperators.LSHR, 4).mul(xq[x + 32 + i]));
                    ShortVector p2 = (ShortVector) ByteVector.fromArray(BYTES, buf, q + (i + 16) * G)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    lo1 = lo1.add(p2.and((short) 0x0F).mul(xq[x + 16 + i]));
                    hi1 = hi1.add(p2.lanewise(VectorOperators.LSHR, 4).mul(xq[x + 48 + i]));
                }
                ByteVector sl = ByteVector.fromArray(BYTES, buf, SC + 2 * j * G);
                ByteVector sh = ByteVector.fromArray(BYTES, buf, SC + (2 * j + 1) * G);
                IntVector l0 = ((IntVector) lo0.convert(VectorOperators.S2I, 0)).add((IntVector) lo1.convert(VectorOperators.S2I, 0));
                IntVector l1 = ((IntVector) lo0.convert(VectorOperators.S2I, 1)).add((IntVector) lo1.convert(VectorOperators.S2I, 1));
                IntVector h0 = ((IntVector) hi0.convert(VectorOperators.S2I, 0)).add((IntVector) hi1.convert(VectorOperators.S2I, 0));
                IntVector h1 = ((IntVector) hi0.convert(VectorOperators.S2I, 1)).add((IntVector) hi1.convert(VectorOperators.S2I, 1));
                isum0 = isum0.add(l0.mul((IntVector) sl.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0)))
                        .add(h0.mul((IntVector) sh.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0)));
                isum1 = isum1.add(l1.mul((IntVector) sl.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 1)))
                        .add(h1.mul((IntVector) sh.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 1)));
            }
            IntVector imin0 = IntVector.zero(INTS), imin1 = imin0;
            for (int s = 0; s < 8; s++) {
                int bs = bsums[bo + 2 * s] + bsums[bo + 2 * s + 1];
                ByteVector m = ByteVector.fromArray(BYTES, buf, MN + s * G);
                imin0 = imin0.add(((IntVector) m.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0)).mul(bs));
                imin1 = imin1.add(((IntVector) m.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 1)).mul(bs));
            }
            float dy = xd[xb / 256];
            // the scales widened from fp16 in int lanes, exactly (F16Kernel's conversion, written out: see there)
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(SHORTS, rp, base, ByteOrder.LITTLE_ENDIAN)
                    .convert(VectorOperators.S2I, 0);
            FloatVector d0 = d0h.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, d0h.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f).mul(dy);
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(SHORTS, rp, base, ByteOrder.LITTLE_ENDIAN)
                    .convert(VectorOperators.S2I, 1);
            FloatVector d1 = d1h.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, d1h.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f).mul(dy);
            IntVector m0h = (IntVector) ShortVector.fromMemorySegment(SHORTS, rp, base + DMIN, ByteOrder.LITTLE_ENDIAN)
                    .convert(VectorOperators.S2I, 0);
            FloatVector m0 = m0h.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, m0h.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f).mul(dy);
            IntVector m1h = (IntVector) ShortVector.fromMemorySegment(SHORTS, rp, base + DMIN, ByteOrder.LITTLE_ENDIAN)
                    .convert(VectorOperators.S2I, 1);
            FloatVector m1 = m1h.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, m1h.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f).mul(dy);
            acc0 = ((FloatVector) isum0.convert(VectorOperators.I2F, 0)).fma(d0, acc0);
            acc1 = ((FloatVector) isum1.convert(VectorOperators.I2F, 0)).fma(d1, acc1);
            min0 = ((FloatVector) imin0.convert(VectorOperators.I2F, 0)).fma(m0, min0);
            min1 = ((FloatVector) imin1.convert(VectorOperators.I2F, 0)).fma(m1, min1);
        }
        // through an array, not FloatVector.intoMemorySegment (see Q4_0Repacked#gemv)
        acc0.sub(min0).intoArray(tmp, 0);
        acc1.sub(min1).intoArray(tmp, F);
        MemorySegment.copy(tmp, 0, out, F32, outIndex * 4, G);
    }

    /** Scalar twin of {@link #gemv} for row {@code r} of group {@code g}: the same value, bit for bit. */
    public static float dotScalar(MemorySegment rp, int g, int r, int cols, Activations a, int xRow) {
        int nb = cols / 256;
        long base = (long) g * nb * GROUP_BLOCK_BYTES;
        int xo = xRow * cols;
        float acc = 0f, accMin = 0f;
        for (int b = 0; b < nb; b++, base += GROUP_BLOCK_BYTES) {
            int xb = xo + 256 * b;
            int isum = 0, imin = 0;
            for (int s = 0; s < 8; s++) {
                int dot = 0;
                for (int i = 0; i < 32; i++) {
                    int c = 32 * (s / 2) + i;
                    int packed = rp.get(ValueLayout.JAVA_BYTE, base + QS + (long) c * G + r) & 0xFF;
                    dot += (s % 2 == 0 ? packed & 0x0F : packed >>> 4) * (int) a.q[xb + 32 * s + i];
                }
                isum += u8(rp, base + SC + (long) s * G + r) * dot;
                imin += u8(rp, base + MN + (long) s * G + r) * (a.bsums[xb / 16 + 2 * s] + a.bsums[xb / 16 + 2 * s + 1]);
            }
            float dy = a.d[xb / 256];
            acc = Math.fma((float) isum, Float.float16ToFloat(rp.get(WeightKernel.F16, base + 2L * r)) * dy, acc);
            accMin = Math.fma((float) imin, Float.float16ToFloat(rp.get(WeightKernel.F16, base + DMIN + 2L * r)) * dy, accMin);
        }
        return acc - accMin;
    }

    private static int u8(MemorySegment m, long off) {
        return m.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /**
     * Fills a {@link PanelGemm} panel ({@code panel[po + k * RW + i]}, {@code k < kc}, {@code i <} {@link PanelGemm#RW})
     * with the dequantized weights of the groups from {@code g} on that make up RW rows, columns {@code [k0, k0 + kc)}
     * (k0 and kc multiples of 256): {@code (d * sc) * q - dmin * m}, the values {@link Q4_KKernel#dequantizeRow} gives,
     * so the GEMM's result does not depend on the layout.
     */
    static void panel(MemorySegment rp, int g, int cols, int k0, int kc, float[] panel, int po) {
        int nb = cols / 256, rw = PanelGemm.RW;
        for (int h = 0; h < rw / G; h++) {
            long base = ((long) (g + h) * nb + k0 / 256) * GROUP_BLOCK_BYTES;
            for (int b = 0; b < kc / 256; b++, base += GROUP_BLOCK_BYTES) {
                for (int part = 0; part < 2; part++) { // rows [part F, part F + F) of the group
                    int lane = h * G + part * F;
                    IntVector dh = (IntVector) ShortVector.fromMemorySegment(SHORTS, rp, base, ByteOrder.LITTLE_ENDIAN)
                            .convert(VectorOperators.S2I, part);
                    FloatVector d = dh.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                            .lanewise(VectorOperators.OR, 0x70000000, dh.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                            .reinterpretAsFloats().mul(0x1p112f);
                    IntVector dminh = (IntVector) ShortVector.fromMemorySegment(SHORTS, rp, base + DMIN, ByteOrder.LITTLE_ENDIAN)
                            .convert(VectorOperators.S2I, part);
                    FloatVector dmin = dminh.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                            .lanewise(VectorOperators.OR, 0x70000000, dminh.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                            .reinterpretAsFloats().mul(0x1p112f);
                    for (int s = 0; s < 8; s++) {
                        // no helper returning a vector: one that is not inlined boxes it
                        FloatVector ds = d.mul((FloatVector) ByteVector.fromMemorySegment(BYTES, rp, base + SC + (long) s * G,
                                ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part)
                                .convert(VectorOperators.I2F, 0));
                        FloatVector ms = dmin.mul((FloatVector) ByteVector.fromMemorySegment(BYTES, rp, base + MN + (long) s * G,
                                ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part)
                                .convert(VectorOperators.I2F, 0));
                        int shift = 4 * (s % 2);
                        for (int i = 0; i < 32; i++) {
                            IntVector p = (IntVector) ByteVector.fromMemorySegment(BYTES, rp,
                                    base + QS + (32L * (s / 2) + i) * G, ByteOrder.LITTLE_ENDIAN)
                                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part);
                            ((FloatVector) p.lanewise(VectorOperators.LSHR, shift).and(0x0F).convert(VectorOperators.I2F, 0))
                                    .mul(ds).sub(ms).intoArray(panel, po + (b * 256 + 32 * s + i) * rw + lane);
                        }
                    }
                }
            }
        }
    }
}
