package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_0 weights repacked for row-parallel kernels (as llama.cpp repacks Q4_0 into {@code q4_0_8x8} on x86): rows
 * in groups of {@link #G} (the float lane count), and for each group and 32-column block
 * <pre>{@code
 *   float d[G];          // the G rows' block scales, widened from fp16
 *   uint8 qs[16][G];     // qs[j][r] = byte j of row r's block: low nibble column j, high nibble column j + 16
 * }</pre>
 * ({@link #GROUP_BLOCK_BYTES} = 20 G bytes per G x 32 weights, 11% more than Q4_0's 18 per 32). One 16-byte load
 * then gives one column pair for all G rows, so a vector lane is a weight row: the activation is broadcast, the
 * per-block fp16 scales are one vector load, and no horizontal sum is left at the end. Decode runs
 * about 1.6x the row-by-row kernel ({@link Q4_0Kernel#dotVector}); the prefill GEMM reads its panels from here
 * with vector code instead of dequantizing and transposing row by row.
 *
 * <p>Arithmetic per row as ggml's reference {@code vec_dot_q4_0_q8_0}: the block's integer dot
 * {@code sum_j (n_j - 8) q_j} (exact in float: |sum| < 2^24; computed as {@code sum n q - 8 sum q}), then
 * {@code total = fma(sumi, d_w * d_x, total)} block after block. {@link #dotScalar} is its scalar twin (bit-identical).
 */
public final class Q4_0Repacked {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    /** Rows per group: one float vector. */
    public static final int G = S.length();
    private static final VectorSpecies<Byte> BYTES = G >= 8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * G)) : ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    /** Bytes of one group's 32-column block. */
    public static final int GROUP_BLOCK_BYTES = 20 * G;
    private static final ValueLayout.OfFloat F32 = WeightKernel.F32;

    private Q4_0Repacked() {
    }

    /** Whether a {@code rows x cols} Q4_0 matrix can be repacked here (vector kernels on, 8+ lanes, whole groups). */
    public static boolean supports(long rows, int cols) {
        return VectorWidth.ENABLED && G >= 8 && rows % G == 0 && cols % 32 == 0 && rows > 0;
    }

    /** Bytes of the repacked {@code rows x cols} matrix. */
    public static long byteSize(long rows, int cols) {
        return rows / G * (cols / 32) * (long) GROUP_BLOCK_BYTES;
    }

    /** Allocates the repacked form of {@code w} in {@code arena} (filled by {@link #repack}). */
    public static MemorySegment allocate(Arena arena, long rows, int cols) {
        return arena.allocate(byteSize(rows, cols), 64);
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
                    rp.set(F32, dst + 4L * r, WeightKernel.half(w, src));
                    for (int j = 0; j < 16; j++)
                        rp.set(ValueLayout.JAVA_BYTE, dst + 4L * G + (long) j * G + r, w.get(ValueLayout.JAVA_BYTE, src + 2 + j));
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
        float[] xq = a.q, xd = a.d, xs = a.sums;
        int xo = xRow * cols, bo = xo / 32;
        FloatVector total = FloatVector.zero(S);
        for (int b = 0; b < nb; b++, base += GROUP_BLOCK_BYTES) {
            // four independent FMA chains (low/high nibbles x even/odd byte), summed once per block: exact integers
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int xb = xo + b * 32;
            long q = base + 4L * G;
            for (int j = 0; j < 16; j += 2) {
                IntVector p = (IntVector) ByteVector.fromMemorySegment(BYTES, rp, q + (long) j * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                a0 = ((FloatVector) p.and(0x0F).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(S, xq[xb + j]), a0);
                a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(S, xq[xb + j + 16]), a1);
                IntVector p2 = (IntVector) ByteVector.fromMemorySegment(BYTES, rp, q + (long) (j + 1) * G, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                a2 = ((FloatVector) p2.and(0x0F).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(S, xq[xb + j + 1]), a2);
                a3 = ((FloatVector) p2.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(S, xq[xb + j + 17]), a3);
            }
            FloatVector sumi = a0.add(a1).add(a2.add(a3)).sub(8f * xs[bo + b]);
            FloatVector d = FloatVector.fromMemorySegment(S, rp, base, ByteOrder.LITTLE_ENDIAN).mul(xd[bo + b]);
            total = sumi.fma(d, total);
        }
        // Through an array: FloatVector.intoMemorySegment's JDK-internal call site sees every segment class the
        // application stores vectors into, and once that profile is megamorphic C2 leaves the store un-intrinsified
        // (a boxed vector and a per-lane loop, measured as 70% of decode time).
        total.intoArray(tmp, 0);
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
                int packed = rp.get(ValueLayout.JAVA_BYTE, base + 4L * G + (long) j * G + r) & 0xFF;
                sumi += ((packed & 0x0F) - 8) * (int) a.q[xo + b * 32 + j] + ((packed >>> 4) - 8) * (int) a.q[xo + b * 32 + j + 16];
            }
            float d = rp.get(F32, base + 4L * r) * a.d[bo + b];
            total = Math.fma((float) sumi, d, total);
        }
        return total;
    }

    /**
     * Fills a {@link PanelGemm} panel ({@code panel[po + k * 2G + i]}, {@code k < kc}) with the dequantized weights of
     * groups {@code g} and {@code g + 1}, columns {@code [k0, k0 + kc)}: {@code d * (n - 8)}, the values
     * {@link Q4_0Kernel#dequantizeRow} gives, so the GEMM's result does not depend on the layout.
     */
    static void panel(MemorySegment rp, int g, int cols, int k0, int kc, float[] panel, int po) {
        int nb = cols / 32, rw = 2 * G;
        for (int h = 0; h < 2; h++) {
            long base = ((long) (g + h) * nb + k0 / 32) * GROUP_BLOCK_BYTES;
            for (int b = 0; b < kc / 32; b++, base += GROUP_BLOCK_BYTES) {
                FloatVector d = FloatVector.fromMemorySegment(S, rp, base, ByteOrder.LITTLE_ENDIAN);
                for (int j = 0; j < 16; j++) {
                    IntVector p = (IntVector) ByteVector.fromMemorySegment(BYTES, rp, base + 4L * G + (long) j * G, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    ((FloatVector) p.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                            .intoArray(panel, po + (b * 32 + j) * rw + h * G);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                            .intoArray(panel, po + (b * 32 + j + 16) * rw + h * G);
                }
            }
        }
    }
}
