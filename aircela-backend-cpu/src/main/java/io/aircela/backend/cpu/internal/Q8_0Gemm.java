package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Prefill for Q8_0 weights, bit-exact with llama.cpp like {@link Q8_0Kernel}: {@link #L} weight rows (two vectors'
 * lanes) times four tokens at a time. The rows' integers and block scales are copied once into two float half-panels
 * (rows {@code [0, F)} and {@code [F, L)}, column by column, {@code panel[h P + k F + r]}); each token's activation
 * integers are broadcast and serve both halves (a broadcast per two FMAs: with one row vector the broadcasts, not the
 * FMAs, were the limit, at half the float GEMM's speed). Per output the eight accumulators of ggml's x86
 * {@code vec_dot_q8_0_q8_0} are kept (lane k of ggml = the products of columns 4k .. 4k+3 of each block):
 * {@code acc_k = fma(sum_k, d_w * d_x, acc_k)} block after block, the group sums exact integers in any order, then
 * {@link GgmlMath#reduce8}'s tree. So the result equals {@link Q8_0Kernel#dot}'s bit for bit, while a panel column
 * load serves four tokens and no horizontal sum is needed per block.
 */
final class Q8_0Gemm {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    /** Float lanes: rows per half-panel (and per {@link Q8_0Repacked} group). */
    private static final int F = S.length();
    /** Rows per group: two float vectors. */
    static final int L = 2 * F;

    private Q8_0Gemm() {
    }

    /** Column slot of column {@code j} of block {@code b} in a half-panel: pass order, {@code ((j / 4) nb + b) 4 + j % 4}. */
    static int panelIndex(int nb, int b, int j) {
        return ((j >> 2) * nb + b) * 4 + (j & 3);
    }

    /** Floats of one half-panel for rows of {@code cols}: F rows' integers, then their block scales. */
    private static int halfFloats(int cols) {
        return F * cols + F * (cols / 32);
    }

    /** Floats of panel a worker needs for rows of {@code cols}. */
    static int panelFloats(int cols) {
        return 2 * halfFloats(cols);
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
        int cols = a.cols, nb = cols / 32, n = a.n, hp = halfFloats(cols);
        if (repacked != null) {
            Q8_0Repacked.panel(repacked, r0 / F, cols, panel, 0);
            Q8_0Repacked.panel(repacked, r0 / F + 1, cols, panel, hp);
        } else for (int i = 0; i < L; i++) {
            long off = (long) (r0 + i) * rowBytes;
            int po = i < F ? 0 : hp, r = i % F;
            for (int b = 0; b < nb; b++, off += Q8_0Kernel.BLOCK_BYTES) {
                panel[po + F * cols + b * F + r] = WeightKernel.half(w, off);
                for (int j = 0; j < 32; j++)
                    panel[po + panelIndex(nb, b, j) * F + r] = w.get(ValueLayout.JAVA_BYTE, off + 2 + j);
            }
        }
        // scratch: d_w * d_x per block, token and half ((b T + t) 2 + h) F; then the accumulators; then the results
        int accs = T * L * nb, res = accs + 8 * T * L;
        for (int t0 = 0; t0 < n; t0 += T) {
            // the last tokens repeat the last one when n is not a multiple of T (same values written twice)
            int u0 = t0, u1 = Math.min(t0 + 1, n - 1), u2 = Math.min(t0 + 2, n - 1), u3 = Math.min(t0 + 3, n - 1);
            for (int b = 0; b < nb; b++) {
                for (int h = 0; h < 2; h++) {
                    FloatVector dv = FloatVector.fromArray(S, panel, h * hp + F * cols + b * F);
                    int o = (b * T * 2 + h) * F;
                    dv.mul(a.d[u0 * nb + b]).intoArray(scratch, o);
                    dv.mul(a.d[u1 * nb + b]).intoArray(scratch, o + 2 * F);
                    dv.mul(a.d[u2 * nb + b]).intoArray(scratch, o + 4 * F);
                    dv.mul(a.d[u3 * nb + b]).intoArray(scratch, o + 6 * F);
                }
            }
            for (int g = 0; g < 8; g++) {
                int k0 = g * nb * 4; // the pass's first slot, in the panel and in Activations.qp
                pass(panel, hp, nb, a.qp, u0 * cols + k0, u1 * cols + k0, u2 * cols + k0, u3 * cols + k0, k0, g, scratch, accs);
            }
            for (int i = 0; i < 2 * T; i++) { // (token, half) pairs
                // GgmlMath.reduce8, lane-wise: ((a4 + a0) + (a6 + a2)) + ((a5 + a1) + (a7 + a3))
                int o = accs + i * F, step = 2 * T * F;
                FloatVector g0 = FloatVector.fromArray(S, scratch, o), g1 = FloatVector.fromArray(S, scratch, o + step),
                        g2 = FloatVector.fromArray(S, scratch, o + 2 * step), g3 = FloatVector.fromArray(S, scratch, o + 3 * step),
                        g4 = FloatVector.fromArray(S, scratch, o + 4 * step), g5 = FloatVector.fromArray(S, scratch, o + 5 * step),
                        g6 = FloatVector.fromArray(S, scratch, o + 6 * step), g7 = FloatVector.fromArray(S, scratch, o + 7 * step);
                g4.add(g0).add(g6.add(g2)).add(g5.add(g1).add(g7.add(g3))).intoArray(scratch, res + i * F);
            }
            MemorySegment.copy(scratch, res, out, WeightKernel.F32, ((long) u0 * rows + r0) * 4, L);
            MemorySegment.copy(scratch, res + L, out, WeightKernel.F32, ((long) u1 * rows + r0) * 4, L);
            MemorySegment.copy(scratch, res + 2 * L, out, WeightKernel.F32, ((long) u2 * rows + r0) * 4, L);
            MemorySegment.copy(scratch, res + 3 * L, out, WeightKernel.F32, ((long) u3 * rows + r0) * 4, L);
        }
    }

    /**
     * ggml's lane {@code g} for the four tokens (activation rows at {@code x0 .. x3}) and both half-panels: over the
     * blocks, {@code acc = fma(sum of columns 4g .. 4g+3 of w x, d_w * d_x, acc)}, into
     * {@code scratch[accs + ((g T + t) 2 + h) F]}. One group per pass keeps the loop small enough for C2 to unroll it
     * and hoist its bounds checks.
     */
    private static void pass(float[] panel, int hp, int nb, float[] xq, int x0, int x1, int x2, int x3, int k0, int g,
                             float[] scratch, int accs) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < nb; b++) {
            int k = k0 + 4 * b, xk = 4 * b; // panel slot and activation offset (both in pass order)
            FloatVector p0 = FloatVector.fromArray(S, panel, k * F), p1 = FloatVector.fromArray(S, panel, (k + 1) * F),
                    p2 = FloatVector.fromArray(S, panel, (k + 2) * F), p3 = FloatVector.fromArray(S, panel, (k + 3) * F);
            FloatVector q0 = FloatVector.fromArray(S, panel, hp + k * F), q1 = FloatVector.fromArray(S, panel, hp + (k + 1) * F),
                    q2 = FloatVector.fromArray(S, panel, hp + (k + 2) * F), q3 = FloatVector.fromArray(S, panel, hp + (k + 3) * F);
            int d = b * T * 2 * F;
            FloatVector c0 = FloatVector.broadcast(S, xq[x0 + xk]), c1 = FloatVector.broadcast(S, xq[x0 + xk + 1]),
                    c2 = FloatVector.broadcast(S, xq[x0 + xk + 2]), c3 = FloatVector.broadcast(S, xq[x0 + xk + 3]);
            a0 = p1.fma(c1, p0.mul(c0)).add(p3.fma(c3, p2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d), a0);
            b0 = q1.fma(c1, q0.mul(c0)).add(q3.fma(c3, q2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d + F), b0);
            c0 = FloatVector.broadcast(S, xq[x1 + xk]);
            c1 = FloatVector.broadcast(S, xq[x1 + xk + 1]);
            c2 = FloatVector.broadcast(S, xq[x1 + xk + 2]);
            c3 = FloatVector.broadcast(S, xq[x1 + xk + 3]);
            a1 = p1.fma(c1, p0.mul(c0)).add(p3.fma(c3, p2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d + 2 * F), a1);
            b1 = q1.fma(c1, q0.mul(c0)).add(q3.fma(c3, q2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d + 3 * F), b1);
            c0 = FloatVector.broadcast(S, xq[x2 + xk]);
            c1 = FloatVector.broadcast(S, xq[x2 + xk + 1]);
            c2 = FloatVector.broadcast(S, xq[x2 + xk + 2]);
            c3 = FloatVector.broadcast(S, xq[x2 + xk + 3]);
            a2 = p1.fma(c1, p0.mul(c0)).add(p3.fma(c3, p2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d + 4 * F), a2);
            b2 = q1.fma(c1, q0.mul(c0)).add(q3.fma(c3, q2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d + 5 * F), b2);
            c0 = FloatVector.broadcast(S, xq[x3 + xk]);
            c1 = FloatVector.broadcast(S, xq[x3 + xk + 1]);
            c2 = FloatVector.broadcast(S, xq[x3 + xk + 2]);
            c3 = FloatVector.broadcast(S, xq[x3 + xk + 3]);
            a3 = p1.fma(c1, p0.mul(c0)).add(p3.fma(c3, p2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d + 6 * F), a3);
            b3 = q1.fma(c1, q0.mul(c0)).add(q3.fma(c3, q2.mul(c2))).fma(FloatVector.fromArray(S, scratch, d + 7 * F), b3);
        }
        int o = accs + g * T * 2 * F;
        a0.intoArray(scratch, o);
        b0.intoArray(scratch, o + F);
        a1.intoArray(scratch, o + 2 * F);
        b1.intoArray(scratch, o + 3 * F);
        a2.intoArray(scratch, o + 4 * F);
        b2.intoArray(scratch, o + 5 * F);
        a3.intoArray(scratch, o + 6 * F);
        b3.intoArray(scratch, o + 7 * F);
    }
}
