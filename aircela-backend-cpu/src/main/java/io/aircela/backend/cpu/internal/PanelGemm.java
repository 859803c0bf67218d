package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Prefill matmul as a float GEMM: {@code out (n, rows) = x (n, cols) W^T} for {@link #RW} weight rows at a time.
 * Those rows are dequantized once ({@link #KC} columns at a time) into a panel laid out column by column
 * ({@code panel[k * RW + r]}, the whole row: it stays in L2), so that one vector load gives one column's weights for {@link #LANES} rows; each of
 * {@link #RT} tokens' activation is broadcast and multiplied into two accumulators per token (2 x RT accumulators
 * in registers, 2 loads and RT broadcasts per 2 x RT FMAs). The activations come interleaved by token group
 * ({@link Activations#tiles}), so the broadcasts read one cache line per column.
 *
 * <p>The weights are dequantized to floats and the activations are the weight type's {@code vec_dot_type}
 * values (Q8 blocks dequantized, fp16-rounded for F16), so the result differs from the integer block dots of
 * the decode kernels only by float rounding of the products and of the sums (about 1e-6 relative); llama.cpp's
 * own prompt GEMMs also sum in another order than its one-token path. Deterministic: the sums run in the same
 * order whatever the thread count.
 */
final class PanelGemm {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    static final int LANES = S.length();
    /** Weight rows per panel: two vectors. */
    static final int RW = 2 * LANES;
    /** Tokens per micro tile (and per interleaved activation group). */
    static final int RT = 12;
    /** Columns dequantized at a time into the panel: a multiple of every block size (256). */
    static final int KC = 256;

    private PanelGemm() {
    }

    /** Floats of per-worker scratch the GEMM needs for rows of {@code cols}: the panel, a row chunk, a tile's sums. */
    static int scratchFloats(int cols) {
        return RW * cols + KC + RT * RW;
    }

    /**
     * Rows {@code [r0, r0 + RW)} of {@code w} times all {@code n} tokens of {@code a} (whose {@link Activations#tiles}
     * are prepared) into {@code out}.
     */
    static void group(WeightKernel kernel, MemorySegment w, long rowBytes, Activations a, int r0, MemorySegment out,
                      int rows, float[] scratch) {
        group(kernel, w, rowBytes, null, a, r0, out, rows, scratch);
    }

    /**
     * {@link #group}, the panel read from {@code repacked} ({@link Q4_0Repacked} or {@link Q4_KRepacked}, after the
     * kernel) when it is not null. The panel holds
     * all {@code cols} columns (in L2; it is read once per token group), so each output is one FMA chain over the
     * whole row and is written once.
     */
    static void group(WeightKernel kernel, MemorySegment w, long rowBytes, MemorySegment repacked, Activations a, int r0,
                      MemorySegment out, int rows, float[] scratch) {
        int cols = a.cols, n = a.n;
        int rowBuf = RW * cols, acc = rowBuf + KC;
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            if (repacked != null && kernel instanceof Q4_KKernel) {
                Q4_KRepacked.panel(repacked, r0 / Q4_KRepacked.G, cols, k0, kc, scratch, k0 * RW);
            } else if (repacked != null && kernel instanceof Q8_0Kernel) {
                Q8_0Repacked.floatPanel(repacked, r0 / Q8_0Repacked.G, cols, k0, kc, scratch, k0 * RW);
            } else if (repacked != null) {
                Q4_0Repacked.panel(repacked, r0 / Q4_0Repacked.G, cols, k0, kc, scratch, k0 * RW);
            } else {
                long byteOff = rowBytes * k0 / cols; // k0 is a multiple of every block size
                for (int i = 0; i < RW; i++) {
                    kernel.dequantizeRow(w, (long) (r0 + i) * rowBytes + byteOff, scratch, rowBuf, kc);
                    for (int k = 0; k < kc; k++) scratch[(k0 + k) * RW + i] = scratch[rowBuf + k];
                }
            }
        }
        float[] xi = a.tiles;
        for (int t0 = 0; t0 < n; t0 += RT) {
            tile(scratch, cols, xi, t0 / RT * cols * RT, scratch, acc);
            // bulk copies, no vector store into out: FloatVector's segment access sites inside the JDK see every
            // segment class the application uses, and C2 does not intrinsify them once that profile is megamorphic
            for (int i = 0; i < RT && t0 + i < n; i++)
                MemorySegment.copy(scratch, acc + i * RW, out, WeightKernel.F32, ((long) (t0 + i) * rows + r0) * 4, RW);
        }
    }

    /**
     * The 2 x {@link #RT} micro tile: the panel's rows times one padded token group over columns {@code [0, kc)},
     * into {@code acc[ao + i * RW ..]} for token i. Straight-line code without data-dependent branches: C2
     * compiles it once (a rarely taken branch here deoptimised it again and again until C2 gave up and left it
     * interpreted), and no vector leaves the method (a vector passed to a call that is not inlined is boxed).
     */
    private static void tile(float[] panel, int kc, float[] xi, int xo, float[] acc, int ao) {
        FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = FloatVector.zero(S), b1 = a1, a2 = FloatVector.zero(S), b2 = a2, a3 = FloatVector.zero(S), b3 = a3, a4 = FloatVector.zero(S), b4 = a4, a5 = FloatVector.zero(S), b5 = a5, a6 = FloatVector.zero(S), b6 = a6, a7 = FloatVector.zero(S), b7 = a7, a8 = FloatVector.zero(S), b8 = a8, a9 = FloatVector.zero(S), b9 = a9, a10 = FloatVector.zero(S), b10 = a10, a11 = FloatVector.zero(S), b11 = a11;
        for (int k = 0; k < kc; k++) {
            FloatVector p = FloatVector.fromArray(S, panel, k * RW), q = FloatVector.fromArray(S, panel, k * RW + LANES);
            int x = xo + k * RT;
            FloatVector x0 = FloatVector.broadcast(S, xi[x + 0]);
            a0 = p.fma(x0, a0);
            b0 = q.fma(x0, b0);
            FloatVector x1 = FloatVector.broadcast(S, xi[x + 1]);
            a1 = p.fma(x1, a1);
            b1 = q.fma(x1, b1);
            FloatVector x2 = FloatVector.broadcast(S, xi[x + 2]);
            a2 = p.fma(x2, a2);
            b2 = q.fma(x2, b2);
            FloatVector x3 = FloatVector.broadcast(S, xi[x + 3]);
            a3 = p.fma(x3, a3);
            b3 = q.fma(x3, b3);
            FloatVector x4 = FloatVector.broadcast(S, xi[x + 4]);
            a4 = p.fma(x4, a4);
            b4 = q.fma(x4, b4);
            FloatVector x5 = FloatVector.broadcast(S, xi[x + 5]);
            a5 = p.fma(x5, a5);
            b5 = q.fma(x5, b5);
            FloatVector x6 = FloatVector.broadcast(S, xi[x + 6]);
            a6 = p.fma(x6, a6);
            b6 = q.fma(x6, b6);
            FloatVector x7 = FloatVector.broadcast(S, xi[x + 7]);
            a7 = p.fma(x7, a7);
            b7 = q.fma(x7, b7);
            FloatVector x8 = FloatVector.broadcast(S, xi[x + 8]);
            a8 = p.fma(x8, a8);
            b8 = q.fma(x8, b8);
            FloatVector x9 = FloatVector.broadcast(S, xi[x + 9]);
            a9 = p.fma(x9, a9);
            b9 = q.fma(x9, b9);
            FloatVector x10 = FloatVector.broadcast(S, xi[x + 10]);
            a10 = p.fma(x10, a10);
            b10 = q.fma(x10, b10);
            FloatVector x11 = FloatVector.broadcast(S, xi[x + 11]);
            a11 = p.fma(x11, a11);
            b11 = q.fma(x11, b11);
        }
        a0.intoArray(acc, ao + 0 * RW);
        b0.intoArray(acc, ao + 0 * RW + LANES);
        a1.intoArray(acc, ao + 1 * RW);
        b1.intoArray(acc, ao + 1 * RW + LANES);
        a2.intoArray(acc, ao + 2 * RW);
        b2.intoArray(acc, ao + 2 * RW + LANES);
        a3.intoArray(acc, ao + 3 * RW);
        b3.intoArray(acc, ao + 3 * RW + LANES);
        a4.intoArray(acc, ao + 4 * RW);
        b4.intoArray(acc, ao + 4 * RW + LANES);
        a5.intoArray(acc, ao + 5 * RW);
        b5.intoArray(acc, ao + 5 * RW + LANES);
        a6.intoArray(acc, ao + 6 * RW);
        b6.intoArray(acc, ao + 6 * RW + LANES);
        a7.intoArray(acc, ao + 7 * RW);
        b7.intoArray(acc, ao + 7 * RW + LANES);
        a8.intoArray(acc, ao + 8 * RW);
        b8.intoArray(acc, ao + 8 * RW + LANES);
        a9.intoArray(acc, ao + 9 * RW);
        b9.intoArray(acc, ao + 9 * RW + LANES);
        a10.intoArray(acc, ao + 10 * RW);
        b10.intoArray(acc, ao + 10 * RW + LANES);
        a11.intoArray(acc, ao + 11 * RW);
        b11.intoArray(acc, ao + 11 * RW + LANES);
    }
}
