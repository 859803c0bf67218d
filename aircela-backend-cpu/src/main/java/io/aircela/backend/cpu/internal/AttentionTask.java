package io.aircela.backend.cpu.internal;

import io.aircela.compute.Op;
import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

/**
 * Causal attention, split over (query row, head) pairs. For query row {@code i} at position
 * {@code p = startPos + i} and head {@code h} (KV head {@code h / (heads / kvHeads)}):
 * {@code s_t = (q . k_t) * scale} for {@code t <= p}, softmax with the max subtracted and the sum in
 * double (as ggml's {@code ggml_vec_soft_max_f32}), {@code out = sum_t p_t v_t}. With an F16 cache the
 * query is rounded to fp16 first, as ggml converts it to the keys' type before the dot product.
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

    /** Per-worker scratch: {@code scores[w]} of the context length, {@code query[w], acc[w]} of headDim. */
    public AttentionTask(float[][] scores, float[][] query, float[][] acc) {
        this.scores = scores;
        this.query = query;
        this.acc = acc;
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
        long qOff = ((long) i * op.heads() + h) * hd;
        MemorySegment.copy(q, WeightKernel.F32, qOff * 4, qh, 0, hd);
        if (half) for (int d = 0; d < hd; d++) qh[d] = Activations.half(qh[d]);
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t <= pos; t++) {
            long kOff = (long) t * kvStride + (long) kvh * hd;
            float dot = half ? F16Kernel.dotScalar(k, kOff * 2, qh, 0, hd) : F32Kernel.dotVectorOrScalar(k, kOff * 4, qh, hd);
            s[t] = dot * op.scale();
            max = Math.max(max, s[t]);
        }
        double sum = 0;
        for (int t = 0; t <= pos; t++) {
            float e = (float) Math.exp(s[t] - max);
            s[t] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        java.util.Arrays.fill(o, 0, hd, 0f);
        for (int t = 0; t <= pos; t++) {
            float p = s[t] * inv;
            long vOff = (long) t * kvStride + (long) kvh * hd;
            if (half) for (int d = 0; d < hd; d++) o[d] += p * Float.float16ToFloat(v.getAtIndex(WeightKernel.F16, vOff + d));
            else for (int d = 0; d < hd; d++) o[d] += p * v.getAtIndex(WeightKernel.F32, vOff + d);
        }
        MemorySegment.copy(o, 0, out, WeightKernel.F32, qOff * 4, hd);
    }

    public void clear() {
        op = null;
        q = k = v = out = null;
    }
}
