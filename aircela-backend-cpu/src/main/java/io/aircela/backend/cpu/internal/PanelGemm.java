package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Prefill matmul as a float GEMM: {@code out (n, rows) = x (n, cols) W^T} for {@link #RW} weight rows at a time.
 * A chunk of {@link #KC} columns of those rows is dequantized once into a panel laid out column by column
 * ({@code panel[k * RW + r]}), so that one vector load gives one column's weights for {@link #LANES} rows; each of
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
    /** Columns per panel chunk: a panel is {@code KC * RW} floats (32 KiB with 16 lanes), the chunk of one
     *  token group's activations {@code KC * RT} floats; a multiple of every block size (256). */
    static final int KC = 256;

    private PanelGemm() {
    }

    /** Floats of per-worker scratch the GEMM needs: the panel and one dequantized row chunk. */
    static int scratchFloats() {
        return KC * RW + KC;
    }

    /**
     * Rows {@code [r0, r0 + RW)} of {@code w} times all {@code n} tokens of {@code a} (whose {@link Activations#tiles}
     * are prepared) into {@code out}.
     */
    static void group(WeightKernel kernel, MemorySegment w, long rowBytes, Activations a, int r0, MemorySegment out,
                      int rows, float[] scratch) {
        int cols = a.cols, n = a.n;
        float[] xi = a.tiles;
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            long byteOff = rowBytes * k0 / cols; // k0 is a multiple of every block size
            for (int i = 0; i < RW; i++) {
                kernel.dequantizeRow(w, (long) (r0 + i) * rowBytes + byteOff, scratch, KC * RW, kc);
                for (int k = 0; k < kc; k++) scratch[k * RW + i] = scratch[KC * RW + k];
            }
            for (int t0 = 0; t0 < n; t0 += RT)
                tile(scratch, kc, xi, (t0 / RT * cols + k0) * RT, out, t0, n, rows, r0, k0 > 0);
        }
    }

    /** The 2 x {@link #RT} micro tile: rows {@code [r0, r0 + RW)} times one padded token group, columns {@code [0, kc)} of the chunk. */
    private static void tile(float[] panel, int kc, float[] xi, int xo, MemorySegment out, int t0, int n, int rows, int r0, boolean add) {
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
        // stores written out (a helper taking vectors would box them whenever C2 declines to inline it)
        if (t0 + 0 >= n) return;
        long o0 = ((long) (t0 + 0) * rows + r0) * 4;
        if (add) {
            a0 = a0.add(FloatVector.fromMemorySegment(S, out, o0, ByteOrder.LITTLE_ENDIAN));
            b0 = b0.add(FloatVector.fromMemorySegment(S, out, o0 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a0.intoMemorySegment(out, o0, ByteOrder.LITTLE_ENDIAN);
        b0.intoMemorySegment(out, o0 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 1 >= n) return;
        long o1 = ((long) (t0 + 1) * rows + r0) * 4;
        if (add) {
            a1 = a1.add(FloatVector.fromMemorySegment(S, out, o1, ByteOrder.LITTLE_ENDIAN));
            b1 = b1.add(FloatVector.fromMemorySegment(S, out, o1 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a1.intoMemorySegment(out, o1, ByteOrder.LITTLE_ENDIAN);
        b1.intoMemorySegment(out, o1 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 2 >= n) return;
        long o2 = ((long) (t0 + 2) * rows + r0) * 4;
        if (add) {
            a2 = a2.add(FloatVector.fromMemorySegment(S, out, o2, ByteOrder.LITTLE_ENDIAN));
            b2 = b2.add(FloatVector.fromMemorySegment(S, out, o2 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a2.intoMemorySegment(out, o2, ByteOrder.LITTLE_ENDIAN);
        b2.intoMemorySegment(out, o2 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 3 >= n) return;
        long o3 = ((long) (t0 + 3) * rows + r0) * 4;
        if (add) {
            a3 = a3.add(FloatVector.fromMemorySegment(S, out, o3, ByteOrder.LITTLE_ENDIAN));
            b3 = b3.add(FloatVector.fromMemorySegment(S, out, o3 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a3.intoMemorySegment(out, o3, ByteOrder.LITTLE_ENDIAN);
        b3.intoMemorySegment(out, o3 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 4 >= n) return;
        long o4 = ((long) (t0 + 4) * rows + r0) * 4;
        if (add) {
            a4 = a4.add(FloatVector.fromMemorySegment(S, out, o4, ByteOrder.LITTLE_ENDIAN));
            b4 = b4.add(FloatVector.fromMemorySegment(S, out, o4 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a4.intoMemorySegment(out, o4, ByteOrder.LITTLE_ENDIAN);
        b4.intoMemorySegment(out, o4 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 5 >= n) return;
        long o5 = ((long) (t0 + 5) * rows + r0) * 4;
        if (add) {
            a5 = a5.add(FloatVector.fromMemorySegment(S, out, o5, ByteOrder.LITTLE_ENDIAN));
            b5 = b5.add(FloatVector.fromMemorySegment(S, out, o5 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a5.intoMemorySegment(out, o5, ByteOrder.LITTLE_ENDIAN);
        b5.intoMemorySegment(out, o5 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 6 >= n) return;
        long o6 = ((long) (t0 + 6) * rows + r0) * 4;
        if (add) {
            a6 = a6.add(FloatVector.fromMemorySegment(S, out, o6, ByteOrder.LITTLE_ENDIAN));
            b6 = b6.add(FloatVector.fromMemorySegment(S, out, o6 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a6.intoMemorySegment(out, o6, ByteOrder.LITTLE_ENDIAN);
        b6.intoMemorySegment(out, o6 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 7 >= n) return;
        long o7 = ((long) (t0 + 7) * rows + r0) * 4;
        if (add) {
            a7 = a7.add(FloatVector.fromMemorySegment(S, out, o7, ByteOrder.LITTLE_ENDIAN));
            b7 = b7.add(FloatVector.fromMemorySegment(S, out, o7 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a7.intoMemorySegment(out, o7, ByteOrder.LITTLE_ENDIAN);
        b7.intoMemorySegment(out, o7 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 8 >= n) return;
        long o8 = ((long) (t0 + 8) * rows + r0) * 4;
        if (add) {
            a8 = a8.add(FloatVector.fromMemorySegment(S, out, o8, ByteOrder.LITTLE_ENDIAN));
            b8 = b8.add(FloatVector.fromMemorySegment(S, out, o8 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a8.intoMemorySegment(out, o8, ByteOrder.LITTLE_ENDIAN);
        b8.intoMemorySegment(out, o8 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 9 >= n) return;
        long o9 = ((long) (t0 + 9) * rows + r0) * 4;
        if (add) {
            a9 = a9.add(FloatVector.fromMemorySegment(S, out, o9, ByteOrder.LITTLE_ENDIAN));
            b9 = b9.add(FloatVector.fromMemorySegment(S, out, o9 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a9.intoMemorySegment(out, o9, ByteOrder.LITTLE_ENDIAN);
        b9.intoMemorySegment(out, o9 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 10 >= n) return;
        long o10 = ((long) (t0 + 10) * rows + r0) * 4;
        if (add) {
            a10 = a10.add(FloatVector.fromMemorySegment(S, out, o10, ByteOrder.LITTLE_ENDIAN));
            b10 = b10.add(FloatVector.fromMemorySegment(S, out, o10 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a10.intoMemorySegment(out, o10, ByteOrder.LITTLE_ENDIAN);
        b10.intoMemorySegment(out, o10 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
        if (t0 + 11 >= n) return;
        long o11 = ((long) (t0 + 11) * rows + r0) * 4;
        if (add) {
            a11 = a11.add(FloatVector.fromMemorySegment(S, out, o11, ByteOrder.LITTLE_ENDIAN));
            b11 = b11.add(FloatVector.fromMemorySegment(S, out, o11 + 4L * LANES, ByteOrder.LITTLE_ENDIAN));
        }
        a11.intoMemorySegment(out, o11, ByteOrder.LITTLE_ENDIAN);
        b11.intoMemorySegment(out, o11 + 4L * LANES, ByteOrder.LITTLE_ENDIAN);
    }
}
