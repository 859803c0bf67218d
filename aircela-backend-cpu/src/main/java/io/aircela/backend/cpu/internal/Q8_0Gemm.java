package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Prefill for Q8_0 weights, bit-exact with llama.cpp like {@link Q8_0Kernel}: {@link #L} weight rows (a vector's
 * lanes) times four tokens at a time. The rows' integers and block scales are copied once into a float panel
 * (column by column, {@code panel[k * L + r]}); each token's activation integers are broadcast. Per output the
 * eight accumulators of ggml's x86 {@code vec_dot_q8_0_q8_0} are kept (lane k of ggml = the products of columns
 * 4k .. 4k+3 of each block): {@code acc_k = fma(sum_k, d_w * d_x, acc_k)} block after block, the group sums
 * exact integers in any order, then {@link GgmlMath#reduce8}'s tree. So the result equals {@link Q8_0Kernel#dot}'s
 * bit for bit, while a panel column load serves four tokens and no horizontal sum is needed per block.
 */
final class Q8_0Gemm {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    /** Rows per group: one float vector. */
    static final int L = S.length();

    private Q8_0Gemm() {
    }

    /** Floats of panel a worker needs for rows of {@code cols}. */
    static int panelFloats(int cols) {
        return L * cols + L * (cols / 32);
    }

    /** Tokens per pass. */
    static final int T = 4;

    /** Floats of scratch a worker needs besides the panel: the d vectors, the group accumulators, the results. */
    static int scratchFloats(int cols) {
        return T * L * (cols / 32) + 8 * T * L + T * L;
    }

    /**
     * Rows {@code [r0, r0 + L)} of the Q8_0 matrix {@code w} (or of its {@link Q8_0Repacked} form when not null) times
     * every token of {@code a} (Q8_0 form) into {@code out (n, rows)}; {@code panel} holds {@link #panelFloats},
     * {@code scratch} {@link #scratchFloats}.
     */
    static void group(MemorySegment w, long rowBytes, MemorySegment repacked, int r0, Activations a, MemorySegment out,
                      int rows, float[] panel, float[] scratch) {
        int cols = a.cols, nb = cols / 32, n = a.n;
        if (repacked != null) Q8_0Repacked.panel(repacked, r0 / L, cols, panel);
        else for (int i = 0; i < L; i++) {
            long off = (long) (r0 + i) * rowBytes;
            for (int b = 0; b < nb; b++, off += Q8_0Kernel.BLOCK_BYTES) {
                panel[L * cols + b * L + i] = WeightKernel.half(w, off);
                for (int j = 0; j < 32; j++) panel[(b * 32 + j) * L + i] = w.get(ValueLayout.JAVA_BYTE, off + 2 + j);
            }
        }
        int accs = T * L * nb, res = accs + 8 * T * L;
        for (int t0 = 0; t0 < n; t0 += T) {
            // the last tokens repeat the last one when n is not a multiple of T (same values written twice)
            int u0 = t0, u1 = Math.min(t0 + 1, n - 1), u2 = Math.min(t0 + 2, n - 1), u3 = Math.min(t0 + 3, n - 1);
            for (int b = 0; b < nb; b++) {
                FloatVector dv = FloatVector.fromArray(S, panel, L * cols + b * L);
                dv.mul(a.d[u0 * nb + b]).intoArray(scratch, (b * T) * L);
                dv.mul(a.d[u1 * nb + b]).intoArray(scratch, (b * T + 1) * L);
                dv.mul(a.d[u2 * nb + b]).intoArray(scratch, (b * T + 2) * L);
                dv.mul(a.d[u3 * nb + b]).intoArray(scratch, (b * T + 3) * L);
            }
            for (int g = 0; g < 8; g++) pass(panel, nb, a.q, u0 * cols, u1 * cols, u2 * cols, u3 * cols, g, scratch, accs);
            for (int i = 0; i < T; i++) {
                // GgmlMath.reduce8, lane-wise: ((a4 + a0) + (a6 + a2)) + ((a5 + a1) + (a7 + a3))
                int o = accs + i * L;
                FloatVector g0 = FloatVector.fromArray(S, scratch, o), g1 = FloatVector.fromArray(S, scratch, o + T * L),
                        g2 = FloatVector.fromArray(S, scratch, o + 2 * T * L), g3 = FloatVector.fromArray(S, scratch, o + 3 * T * L),
                        g4 = FloatVector.fromArray(S, scratch, o + 4 * T * L), g5 = FloatVector.fromArray(S, scratch, o + 5 * T * L),
                        g6 = FloatVector.fromArray(S, scratch, o + 6 * T * L), g7 = FloatVector.fromArray(S, scratch, o + 7 * T * L);
                g4.add(g0).add(g6.add(g2)).add(g5.add(g1).add(g7.add(g3))).intoArray(scratch, res + i * L);
            }
            MemorySegment.copy(scratch, res, out, WeightKernel.F32, ((long) u0 * rows + r0) * 4, L);
            MemorySegment.copy(scratch, res + L, out, WeightKernel.F32, ((long) u1 * rows + r0) * 4, L);
            MemorySegment.copy(scratch, res + 2 * L, out, WeightKernel.F32, ((long) u2 * rows + r0) * 4, L);
            MemorySegment.copy(scratch, res + 3 * L, out, WeightKernel.F32, ((long) u3 * rows + r0) * 4, L);
        }
    }

    /**
     * ggml's lane {@code g} for the four tokens (activation rows at {@code x0 .. x3}): over the blocks,
     * {@code acc = fma(sum of columns 4g .. 4g+3 of w x, d_w * d_x, acc)}, into {@code scratch[accs + (g T + i) L]}.
     * One group per pass keeps the loop small enough for C2 to unroll it and hoist its bounds checks.
     */
    private static void pass(float[] panel, int nb, float[] xq, int x0, int x1, int x2, int x3, int g, float[] scratch,
                             int accs) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            int k = b * 32 + 4 * g;
            FloatVector p0 = FloatVector.fromArray(S, panel, k * L), p1 = FloatVector.fromArray(S, panel, (k + 1) * L),
                    p2 = FloatVector.fromArray(S, panel, (k + 2) * L), p3 = FloatVector.fromArray(S, panel, (k + 3) * L);
            int d = b * T * L;
            a0 = p3.fma(FloatVector.broadcast(S, xq[x0 + k + 3]), p2.fma(FloatVector.broadcast(S, xq[x0 + k + 2]),
                    p1.fma(FloatVector.broadcast(S, xq[x0 + k + 1]), p0.mul(xq[x0 + k]))))
                    .fma(FloatVector.fromArray(S, scratch, d), a0);
            a1 = p3.fma(FloatVector.broadcast(S, xq[x1 + k + 3]), p2.fma(FloatVector.broadcast(S, xq[x1 + k + 2]),
                    p1.fma(FloatVector.broadcast(S, xq[x1 + k + 1]), p0.mul(xq[x1 + k]))))
                    .fma(FloatVector.fromArray(S, scratch, d + L), a1);
            a2 = p3.fma(FloatVector.broadcast(S, xq[x2 + k + 3]), p2.fma(FloatVector.broadcast(S, xq[x2 + k + 2]),
                    p1.fma(FloatVector.broadcast(S, xq[x2 + k + 1]), p0.mul(xq[x2 + k]))))
                    .fma(FloatVector.fromArray(S, scratch, d + 2 * L), a2);
            a3 = p3.fma(FloatVector.broadcast(S, xq[x3 + k + 3]), p2.fma(FloatVector.broadcast(S, xq[x3 + k + 2]),
                    p1.fma(FloatVector.broadcast(S, xq[x3 + k + 1]), p0.mul(xq[x3 + k]))))
                    .fma(FloatVector.fromArray(S, scratch, d + 3 * L), a3);
        }
        int o = accs + g * T * L;
        a0.intoArray(scratch, o);
        a1.intoArray(scratch, o + L);
        a2.intoArray(scratch, o + 2 * L);
        a3.intoArray(scratch, o + 3 * L);
    }
}
