package io.aircela.backend.cpu.internal;

import io.aircela.quant.QuantType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prefill GEMM ({@link PanelGemm} through {@link MatMulTask}) against the one-token kernels and an exact
 * (double) product of the dequantized weights with the activations' {@code vec_dot_type} values: every output
 * within float rounding of the exact value, for every fused type, with a partial panel of rows, a partial token
 * group and two column chunks.
 */
class PanelGemmTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int COLS = 512, ROWS = PanelGemm.RW + 9, N = PanelGemm.RT + 5;

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void gemmMatchesExactProductsWithinFloatRounding(QuantType type) {
        Assumptions.assumeTrue(VectorWidth.ENABLED, "scalar kernels only (aircela.vector.bits=0): no GEMM");
        Random random = new Random(11 + type.ordinal());
        WeightKernel kernel = new Kernels().forType(type);
        try (Arena arena = Arena.ofConfined()) {
            long rowBytes = type.byteSize(COLS);
            MemorySegment w = weights(arena, type, rowBytes, random);
            Activations a = new Activations();
            a.reserve(N, COLS);
            for (int i = 0; i < N * COLS; i++) a.x[i] = random.nextFloat(-2f, 2f);
            a.prepare(kernel.form());
            a.prepareTiles(kernel.form());
            MemorySegment out = arena.allocate(4L * N * ROWS);
            float[][] scratch = {new float[COLS]};
            MatMulTask task = new MatMulTask(scratch);
            task.set(kernel, w, rowBytes, a, out, ROWS);
            if (MatMulTask.gemm(kernel, N)) {
                task.run(0, task.units(), 0); // panels, then the last rows through the tile kernels
            } else { // types MatMulTask keeps off the GEMM (bit-exact dots): the panels alone
                for (int g = 0; g < ROWS / PanelGemm.RW; g++)
                    PanelGemm.group(kernel, w, rowBytes, a, g * PanelGemm.RW, out, ROWS, new float[PanelGemm.scratchFloats(COLS)]);
                for (int r = ROWS / PanelGemm.RW * PanelGemm.RW; r < ROWS; r++)
                    for (int t = 0; t < N; t++)
                        out.setAtIndex(WeightKernel.F32, (long) t * ROWS + r, kernel.dot(w, r * rowBytes, a, t, scratch[0]));
            }

            float[] row = new float[COLS];
            for (int r = 0; r < ROWS; r++) {
                kernel.dequantizeRow(w, r * rowBytes, row, 0, COLS);
                for (int t = 0; t < N; t++) {
                    double exact = 0, magnitude = 0;
                    for (int k = 0; k < COLS; k++) {
                        double x = value(a, kernel.form(), t, k);
                        exact += row[k] * x;
                        magnitude += Math.abs(row[k] * x);
                    }
                    float gemm = out.getAtIndex(WeightKernel.F32, (long) t * ROWS + r);
                    float dot = kernel.dot(w, r * rowBytes, a, t, scratch[0]);
                    double bound = 1e-5 * magnitude + 1e-6;
                    assertTrue(Math.abs(gemm - exact) <= bound, type + " row " + r + " token " + t + ": gemm " + gemm
                            + " vs exact " + exact + " (one-token kernel " + dot + ")");
                    assertTrue(Math.abs(dot - exact) <= bound, type + " row " + r + " token " + t + ": dot " + dot
                            + " vs exact " + exact);
                }
            }
        }
    }

    /** The activation value the kernels multiply: the {@code vec_dot_type} form, as a float. */
    private static double value(Activations a, Activations.Form form, int t, int k) {
        int i = t * a.cols + k;
        return switch (form) {
            case FLOAT -> a.x[i];
            case HALF -> a.q[i];
            case Q8_0, Q8_1 -> a.q[i] * a.d[i / Activations.BLOCK];
            case Q8_K -> a.q[i] * a.d[i / Activations.BLOCK_K];
        };
    }

    /** Random blocks whose fp16 scales are small finite numbers (random bytes elsewhere). */
    private static MemorySegment weights(Arena arena, QuantType type, long rowBytes, Random random) {
        long size = rowBytes * ROWS;
        MemorySegment w = arena.allocate(size, 64);
        for (long i = 0; i < size; i++) w.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        int blockBytes = (int) type.byteSize(type.blockSize());
        switch (type) {
            case F32 -> {
                for (long i = 0; i < size; i += 4) w.set(WeightKernel.F32, i, random.nextFloat(-1f, 1f));
            }
            case F16 -> {
                for (long i = 0; i < size; i += 2) w.set(HALF, i, Float.floatToFloat16(random.nextFloat(-1f, 1f)));
            }
            case Q6_K -> {
                for (long b = 0; b < size; b += blockBytes) w.set(HALF, b + 208, scale(random));
            }
            default -> {
                boolean twoScales = type == QuantType.Q4_1 || type == QuantType.Q5_1 || type == QuantType.Q4_K
                        || type == QuantType.Q5_K;
                for (long b = 0; b < size; b += blockBytes) {
                    w.set(HALF, b, scale(random));
                    if (twoScales) w.set(HALF, b + 2, scale(random));
                }
            }
        }
        return w;
    }

    private static short scale(Random random) {
        return Float.floatToFloat16(random.nextFloat(0.001f, 0.05f));
    }
}
