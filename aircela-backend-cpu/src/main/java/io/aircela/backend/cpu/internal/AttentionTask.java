package io.aircela.backend.cpu.internal;

import io.aircela.compute.Op;
import io.aircela.quant.QuantType;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Causal attention, split over (query row, head) pairs. For query row {@code i} at position
 * {@code p = startPos + i} and head {@code h} (KV head {@code h / (heads / kvHeads)}):
 * {@code s_t = (q . k_t) * scale} for {@code t <= p}, softmax with the max subtracted (exactly as ggml's
 * {@code ggml_vec_soft_max_f32}, see {@link GgmlMath}), {@code out = sum_t p_t v_t}. With an F16 cache
 * (llama.cpp's default, flash attention off) ggml converts the query and the probabilities to fp16 before
 * the two products ({@code vec_dot_type} of F16 is F16); we round them the same way.
 */
public final class AttentionTask implements WorkerPool.Body {
    private final float[][] scores;
    private final float[][] query;
    private final float[][] acc;
    private Op.Attention op;
    private MemorySegment q;
    private MemorySegment k;
    private MemorySegment v;
    private MemorySegment out;
    private boolean half;
    private final float[][] chunks;

    /** Per-worker scratch: {@code scores[w]} of the context length, {@code query[w], acc[w]} of headDim. */
    public AttentionTask(float[][] scores, float[][] query, float[][] acc) {
        this.scores = scores;
        this.query = query;
        this.acc = acc;
        this.chunks = new float[scores.length][GgmlMath.CHUNK];
    }

    public void set(Op.Attention op, MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out,
                    QuantType cacheType) {
        this.op = op;
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.half = cacheType == QuantType.F16;
    }

    @Override
    public void run(int from, int to, int worker) {
        for (int u = from; u < to; u++) one(u / op.heads(), u % op.heads(), worker);
    }

    private void one(int i, int h, int worker) {
        int hd = op.headDim();
        int kvh = h / (op.heads() / op.kvHeads());
        int kvStride = op.kvHeads() * hd;
        int pos = op.startPos() + i;
        float[] qh = query[worker];
        float[] s = scores[worker];
        float[] o = acc[worker];
        float[] chunk = chunks[worker];
        long qOff = ((long) i * op.heads() + h) * hd;
        MemorySegment.copy(q, WeightKernel.F32, qOff * 4, qh, 0, hd);
        if (half) for (int d = 0; d < hd; d++) qh[d] = Activations.half(qh[d]);
        float max = Float.NEGATIVE_INFINITY;
        int t0 = 0;
        if (!half && KEYS16 && hd % 16 == 0) {
            long base = (long) kvh * hd;
            for (; t0 + 16 <= pos + 1; t0 += 16) {
                scores16(k, base + (long) t0 * kvStride, kvStride, qh, hd, op.scale(), s, t0);
                for (int t = t0; t < t0 + 16; t++) max = Math.max(max, s[t]);
            }
        }
        for (int t = t0; t <= pos; t++) {
            long kOff = (long) t * kvStride + (long) kvh * hd;
            float dot = half ? F16Kernel.dotScalar(k, kOff * 2, qh, 0, hd) : F32Kernel.dotVectorOrScalar(k, kOff * 4, qh, hd);
            s[t] = dot * op.scale();
            max = Math.max(max, s[t]);
        }
        // ggml_vec_soft_max_f32 over llama.cpp's KV window (a multiple of 256 cells, masked ones -inf): SIMD expf
        // in chunks of 16, each chunk's sum reduced in float, chunk sums added in double. Masked cells add 0.
        double sum = 0;
        for (int c = 0; c <= pos; c += GgmlMath.CHUNK) {
            for (int k = 0; k < GgmlMath.CHUNK; k++) {
                int t = c + k;
                float e = t <= pos ? GgmlMath.expf(s[t] - max) : 0f;
                if (t <= pos) s[t] = e;
                chunk[k] = e;
            }
            sum += GgmlMath.reduce16(chunk, 0);
        }
        float inv = (float) (1.0 / sum);
        java.util.Arrays.fill(o, 0, hd, 0f);
        for (int t = 0; t <= pos; t++) {
            float p = s[t] * inv;
            if (half) p = Activations.half(p); // ggml converts the probabilities to V's type (fp16) before V^T . p
            long vOff = (long) t * kvStride + (long) kvh * hd;
            if (half) for (int d = 0; d < hd; d++) o[d] += p * Float.float16ToFloat(v.getAtIndex(WeightKernel.F16, vOff + d));
            else addScaled(o, v, vOff * 4, p, hd);
        }
        MemorySegment.copy(o, 0, out, WeightKernel.F32, qOff * 4, hd);
    }

    /**
     * {@code o[d] += p * v[d]} for {@code d < hd} ({@code v} floats from byte {@code off}): a multiply then an add per
     * lane, as the scalar loop, so the same bits whether the vector or the scalar code runs.
     */
    static void addScaled(float[] o, MemorySegment v, long off, float p, int hd) {
        int d = 0;
        if (VectorWidth.ENABLED) {
            for (int upper = S.loopBound(hd); d < upper; d += S.length())
                FloatVector.fromArray(S, o, d).add(FloatVector.fromMemorySegment(S, v, off + 4L * d, ByteOrder.LITTLE_ENDIAN)
                        .mul(p)).intoArray(o, d);
        }
        for (; d < hd; d++) o[d] += p * v.getAtIndex(WeightKernel.F32, off / 4 + d);
    }

    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    /** {@link #scores16} runs: vector kernels on, 16 float lanes. */
    private static final boolean KEYS16 = VectorWidth.ENABLED && S.length() == 16;
    /** The transpose tree's two-input shuffles (negative: lane {@code i + 16} of the second vector). */
    private static final VectorShuffle<Float> X1 = shuffle(0, 1, 2, 3, 4, 5, 6, 7, -16, -15, -14, -13, -12, -11, -10, -9),
            Y1 = shuffle(8, 9, 10, 11, 12, 13, 14, 15, -8, -7, -6, -5, -4, -3, -2, -1),
            X2 = shuffle(0, 1, 2, 3, 8, 9, 10, 11, -16, -15, -14, -13, -8, -7, -6, -5),
            Y2 = shuffle(4, 5, 6, 7, 12, 13, 14, 15, -12, -11, -10, -9, -4, -3, -2, -1),
            X3 = shuffle(0, 1, 4, 5, 8, 9, 12, 13, -16, -15, -12, -11, -8, -7, -4, -3),
            Y3 = shuffle(2, 3, 6, 7, 10, 11, 14, 15, -14, -13, -10, -9, -6, -5, -2, -1),
            X4 = shuffle(0, 2, 4, 6, 8, 10, 12, 14, -16, -14, -12, -10, -8, -6, -4, -2),
            Y4 = shuffle(1, 3, 5, 7, 9, 11, 13, 15, -15, -13, -11, -9, -7, -5, -3, -1);

    private static VectorShuffle<Float> shuffle(int... lanes) {
        return KEYS16 ? VectorShuffle.fromValues(S, lanes) : null;
    }

    /**
     * Scores of keys {@code [t, t + 16)} (F32 cache, 16 lanes, {@code hd} a multiple of 16) into {@code s[t ..]}, each
     * times {@code scale}: per key the FMA chain of {@link F32Kernel#dotVector}, then the sixteen lane sums
     * reduced together by a transpose tree whose additions are {@link VectorWidth#sum}'s, lane for lane, so the
     * bits equal sixteen separate dots (45 shuffles/adds instead of 16 x 8), and no call per key.
     */
    static void scores16(MemorySegment k, long kOff, long kvStride, float[] qh, int hd, float scale, float[] s, int t) {
        FloatVector v0 = FloatVector.zero(S), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0, v6 = v0, v7 = v0, v8 = v0, v9 = v0, v10 = v0, v11 = v0, v12 = v0, v13 = v0, v14 = v0, v15 = v0;
        for (int c = 0; c < hd; c += 16) {
            FloatVector q = FloatVector.fromArray(S, qh, c);
            long o = (kOff + c) * 4;
            v0 = FloatVector.fromMemorySegment(S, k, o + 0 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v0);
            v1 = FloatVector.fromMemorySegment(S, k, o + 1 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v1);
            v2 = FloatVector.fromMemorySegment(S, k, o + 2 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v2);
            v3 = FloatVector.fromMemorySegment(S, k, o + 3 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v3);
            v4 = FloatVector.fromMemorySegment(S, k, o + 4 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v4);
            v5 = FloatVector.fromMemorySegment(S, k, o + 5 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v5);
            v6 = FloatVector.fromMemorySegment(S, k, o + 6 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v6);
            v7 = FloatVector.fromMemorySegment(S, k, o + 7 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v7);
            v8 = FloatVector.fromMemorySegment(S, k, o + 8 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v8);
            v9 = FloatVector.fromMemorySegment(S, k, o + 9 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v9);
            v10 = FloatVector.fromMemorySegment(S, k, o + 10 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v10);
            v11 = FloatVector.fromMemorySegment(S, k, o + 11 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v11);
            v12 = FloatVector.fromMemorySegment(S, k, o + 12 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v12);
            v13 = FloatVector.fromMemorySegment(S, k, o + 13 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v13);
            v14 = FloatVector.fromMemorySegment(S, k, o + 14 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v14);
            v15 = FloatVector.fromMemorySegment(S, k, o + 15 * kvStride * 4, ByteOrder.LITTLE_ENDIAN).fma(q, v15);
        }
        FloatVector w0_0 = v0.rearrange(X1, v1).add(v0.rearrange(Y1, v1));
        FloatVector w0_1 = v2.rearrange(X1, v3).add(v2.rearrange(Y1, v3));
        FloatVector w0_2 = v4.rearrange(X1, v5).add(v4.rearrange(Y1, v5));
        FloatVector w0_3 = v6.rearrange(X1, v7).add(v6.rearrange(Y1, v7));
        FloatVector w0_4 = v8.rearrange(X1, v9).add(v8.rearrange(Y1, v9));
        FloatVector w0_5 = v10.rearrange(X1, v11).add(v10.rearrange(Y1, v11));
        FloatVector w0_6 = v12.rearrange(X1, v13).add(v12.rearrange(Y1, v13));
        FloatVector w0_7 = v14.rearrange(X1, v15).add(v14.rearrange(Y1, v15));
        FloatVector w1_0 = w0_0.rearrange(X2, w0_1).add(w0_0.rearrange(Y2, w0_1));
        FloatVector w1_1 = w0_2.rearrange(X2, w0_3).add(w0_2.rearrange(Y2, w0_3));
        FloatVector w1_2 = w0_4.rearrange(X2, w0_5).add(w0_4.rearrange(Y2, w0_5));
        FloatVector w1_3 = w0_6.rearrange(X2, w0_7).add(w0_6.rearrange(Y2, w0_7));
        FloatVector w2_0 = w1_0.rearrange(X3, w1_1).add(w1_0.rearrange(Y3, w1_1));
        FloatVector w2_1 = w1_2.rearrange(X3, w1_3).add(w1_2.rearrange(Y3, w1_3));
        FloatVector w3_0 = w2_0.rearrange(X4, w2_1).add(w2_0.rearrange(Y4, w2_1));
        w3_0.mul(scale).intoArray(s, t);
    }

    public void clear() {
        op = null;
        q = k = v = out = null;
    }
}
