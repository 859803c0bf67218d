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
 * Q8_0 weights repacked like {@link Q4_0Repacked}: rows in groups of {@link #G} (the float lane count); for each group
 * and 32-column block {@code ggml_fp16_t d[G]} then {@code int8 qs[32][G]} ({@code qs[j][r]} = weight j of row r), 34 G
 * bytes per G x 32 weights (6% more than Q8_0's 34 per 32). A lane is a weight row: one 16-byte load gives a
 * column for all rows, the activation is broadcast, no horizontal sums.
 *
 * <p>Arithmetic bit for bit {@link Q8_0Kernel}'s, i.e. ggml's x86 {@code vec_dot_q8_0_q8_0}: per row eight
 * accumulators, {@code acc_k = fma(sum of products of columns 4k .. 4k+3, d_w * d_x, acc_k)} block after block (the
 * group sums are exact integers in any order), then {@link GgmlMath#reduce8}'s tree.
 */
public final class Q8_0Repacked {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    /** Rows per group: one float vector. */
    public static final int G = S.length();
    private static final VectorSpecies<Byte> BYTES = G >= 8
            ? VectorWidth.bytes(8 * G) : ByteVector.SPECIES_64;
    /** Bytes of one group's 32-column block. */
    public static final int GROUP_BLOCK_BYTES = 34 * G;
    /** Byte offset of the weights in a group's block, after the G fp16 scales. */
    private static final int QS = 2 * G;
    /** The G scales of a block: halves, widened to {@link #INTS} and converted exactly (see {@link F16Kernel}). */
    private static final VectorSpecies<Short> HALVES = VectorWidth.shorts(Math.max(64, S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = VectorWidth.ints(S.vectorBitSize());

    private Q8_0Repacked() {
    }

    /** Whether a {@code rows x cols} Q8_0 matrix can be repacked here (vector kernels on, 8+ lanes, whole groups). */
    public static boolean supports(long rows, int cols) {
        return VectorWidth.ENABLED && G >= 8 && rows % G == 0 && cols % 32 == 0 && rows > 0;
    }

    /** Allocates room for the repacked {@code rows x cols} matrix in {@code arena}. */
    public static MemorySegment allocate(Arena arena, long rows, int cols) {
        return RowGroups.allocate(arena, G, 32, GROUP_BLOCK_BYTES, rows, cols);
    }

    /** Repacks row groups {@code [g0, g1)} of the Q8_0 matrix {@code w} ({@code cols} per row) into {@code rp}. */
    public static void repack(MemorySegment w, MemorySegment rp, int cols, int g0, int g1) {
        int nb = cols / 32;
        long rowBytes = (long) nb * Q8_0Kernel.BLOCK_BYTES;
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) {
                long dst = ((long) g * nb + b) * GROUP_BLOCK_BYTES;
                for (int r = 0; r < G; r++) {
                    long src = ((long) g * G + r) * rowBytes + (long) b * Q8_0Kernel.BLOCK_BYTES;
                    rp.set(WeightKernel.F16, dst + 2L * r, w.get(WeightKernel.F16, src));
                    for (int j = 0; j < 32; j++)
                        rp.set(ValueLayout.JAVA_BYTE, dst + QS + (long) j * G + r, w.get(ValueLayout.JAVA_BYTE, src + 2 + j));
                }
            }
        }
    }

    /**
     * The {@link #G} rows of group {@code g} times activation row {@code xRow} of {@code a} (Q8_0 form) into
     * {@code out[outIndex .. outIndex + G)} (floats of a segment); {@code tmp} holds at least G floats.
     */
    public static void gemv(MemorySegment rp, int g, int cols, Activations a, int xRow, MemorySegment out, long outIndex,
                            float[] tmp) {
        int nb = cols / 32;
        long base = (long) g * nb * GROUP_BLOCK_BYTES;
        float[] xq = a.q;
        int xo = xRow * cols, bo = xo / 32;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int b = 0; b < nb; b++, base += GROUP_BLOCK_BYTES) {
            IntVector hd = (IntVector) ShortVector.fromMemorySegment(HALVES, rp, base, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            FloatVector d = hd.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, hd.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f).mul(a.d[bo + b]);
            int x = xo + b * 32;
            // ggml's eight lanes; written out: helper methods returning vectors ran un-intrinsified (not inlined)
            long q = base + QS;
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 0L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 1L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 2L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 3L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a0 = c3.fma(FloatVector.broadcast(S, xq[x + 3]), c2.fma(FloatVector.broadcast(S, xq[x + 2]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 1]), c0.mul(xq[x + 0])))).fma(d, a0);
            }
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 4L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 5L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 6L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 7L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a1 = c3.fma(FloatVector.broadcast(S, xq[x + 7]), c2.fma(FloatVector.broadcast(S, xq[x + 6]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 5]), c0.mul(xq[x + 4])))).fma(d, a1);
            }
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 8L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 9L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 10L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 11L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a2 = c3.fma(FloatVector.broadcast(S, xq[x + 11]), c2.fma(FloatVector.broadcast(S, xq[x + 10]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 9]), c0.mul(xq[x + 8])))).fma(d, a2);
            }
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 12L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 13L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 14L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 15L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a3 = c3.fma(FloatVector.broadcast(S, xq[x + 15]), c2.fma(FloatVector.broadcast(S, xq[x + 14]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 13]), c0.mul(xq[x + 12])))).fma(d, a3);
            }
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 16L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 17L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 18L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 19L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a4 = c3.fma(FloatVector.broadcast(S, xq[x + 19]), c2.fma(FloatVector.broadcast(S, xq[x + 18]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 17]), c0.mul(xq[x + 16])))).fma(d, a4);
            }
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 20L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 21L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 22L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 23L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a5 = c3.fma(FloatVector.broadcast(S, xq[x + 23]), c2.fma(FloatVector.broadcast(S, xq[x + 22]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 21]), c0.mul(xq[x + 20])))).fma(d, a5);
            }
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 24L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 25L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 26L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 27L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a6 = c3.fma(FloatVector.broadcast(S, xq[x + 27]), c2.fma(FloatVector.broadcast(S, xq[x + 26]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 25]), c0.mul(xq[x + 24])))).fma(d, a6);
            }
            {
                FloatVector c0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 28L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 29L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 30L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                FloatVector c3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, rp, q + 31L * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0);
                a7 = c3.fma(FloatVector.broadcast(S, xq[x + 31]), c2.fma(FloatVector.broadcast(S, xq[x + 30]),
                        c1.fma(FloatVector.broadcast(S, xq[x + 29]), c0.mul(xq[x + 28])))).fma(d, a7);
            }
        }
        // GgmlMath.reduce8, lane-wise; through an array (see Q4_0Repacked.gemv)
        a4.add(a0).add(a6.add(a2)).add(a5.add(a1).add(a7.add(a3))).intoArray(tmp, 0);
        MemorySegment.copy(tmp, 0, out, WeightKernel.F32, outIndex * 4, G);
    }

    /**
     * Fills a {@link Q8_0Gemm} half-panel for group {@code g} from {@code po}: the integers in pass order,
     * {@code panel[po + ((j / 4) nb + b) 4 + j % 4) G + r]} for column j of block b ({@link Q8_0Gemm#panelIndex}), then
     * the block scales {@code panel[po + G cols + b G + r]}, with vector conversions (the original layout needs a
     * transpose per weight).
     */
    static void panel(MemorySegment rp, int g, int cols, float[] panel, int po) {
        int nb = cols / 32;
        long base = (long) g * nb * GROUP_BLOCK_BYTES;
        for (int b = 0; b < nb; b++, base += GROUP_BLOCK_BYTES) {
            IntVector hd = (IntVector) ShortVector.fromMemorySegment(HALVES, rp, base, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            FloatVector d = hd.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                    .lanewise(VectorOperators.OR, 0x70000000, hd.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                    .reinterpretAsFloats().mul(0x1p112f);
            d.intoArray(panel, po + G * cols + b * G);
            for (int j = 0; j < 32; j++)
                ((FloatVector) ByteVector.fromMemorySegment(BYTES, rp, base + QS + (long) j * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, S, 0)).intoArray(panel, po + Q8_0Gemm.panelIndex(nb, b, j) * G);
        }
    }

    /**
     * Fills {@link PanelGemm}'s panel for the {@link PanelGemm#RW} rows of groups {@code g, g + 1, ..}, columns
     * {@code [k0, k0 + kc)} (multiples of 32): {@code panel[po + (k - k0) RW + r] = d_r q_r,k}, the dequantized weight.
     */
    static void floatPanel(MemorySegment rp, int g, int cols, int k0, int kc, float[] panel, int po) {
        int nb = cols / 32, rw = PanelGemm.RW;
        for (int h = 0; h < rw / G; h++) {
            long base = ((long) (g + h) * nb + k0 / 32) * GROUP_BLOCK_BYTES;
            for (int b = 0; b < kc / 32; b++, base += GROUP_BLOCK_BYTES) {
                IntVector hd = (IntVector) ShortVector.fromMemorySegment(HALVES, rp, base, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, INTS, 0);
                FloatVector d = hd.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8fffe000)
                        .lanewise(VectorOperators.OR, 0x70000000, hd.lanewise(VectorOperators.AND, 0x7c00).eq(0x7c00))
                        .reinterpretAsFloats().mul(0x1p112f);
                for (int j = 0; j < 32; j++)
                    ((FloatVector) ByteVector.fromMemorySegment(BYTES, rp, base + QS + (long) j * G, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, S, 0)).mul(d).intoArray(panel, po + (b * 32 + j) * rw + h * G);
            }
        }
    }
}
