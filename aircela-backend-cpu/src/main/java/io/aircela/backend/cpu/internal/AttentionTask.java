package io.aircela.backend.cpu.internal;

import io.aircela.compute.Op;
import io.aircela.quant.QuantType;

import jdk.incubator.vector.FloatVector;
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
        for (int t = 0; t <= pos; t++) {
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

    public void clear() {
        op = null;
        q = k = v = out = null;
    }
}
