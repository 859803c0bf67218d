package io.aircela.backend.cpu.internal;

import io.aircela.compute.Op;
import io.aircela.quant.QuantType;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Causal attention, split over (query row, head) pairs, or for a prompt over (query row, KV head) pairs that run all the
 * query heads sharing that KV head together (grouped-query attention reads each K and V row once per group, not once
 * per head; per head the same operations in the same order, so the same bits). For query row {@code i} at position
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
    private boolean grouped;
    private final float[][] chunks;
    /** Per-worker scratch of the grouped path: per query head of a group, scores, query and output. */
    private final float[][][] groupScores, groupQuery, groupAcc;

    /** Per-worker scratch: {@code scores[w]} of the context length, {@code query[w], acc[w]} of headDim. */
    public AttentionTask(float[][] scores, float[][] query, float[][] acc) {
        this.scores = scores;
        this.query = query;
        this.acc = acc;
        this.chunks = new float[scores.length][GgmlMath.CHUNK];
        this.groupScores = new float[scores.length][0][];
        this.groupQuery = new float[scores.length][0][];
        this.groupAcc = new float[scores.length][0][];
    }

    public void set(Op.Attention op, MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment out,
                    QuantType cacheType) {
        this.op = op;
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.half = cacheType == QuantType.F16;
        setGrouped(op.n() > 1);
    }

    /**
     * Splits the next {@link #run} over (query row, KV head) units, each computing all the query heads of the group
     * (every K and V row read once for them), rows longest first; or over (query row, head) units. The bits are the
     * same either way. {@link #set} picks grouped for a prompt (n > 1); a decode step keeps one unit per head.
     */
    void setGrouped(boolean grouped) {
        this.grouped = grouped;
        if (!grouped) return;
        int g = op.heads() / op.kvHeads(), keys = op.startPos() + op.n(), hd = op.headDim();
        for (int w = 0; w < groupScores.length; w++) {
            groupScores[w] = grow(groupScores[w], g, keys);
            groupQuery[w] = grow(groupQuery[w], g, hd);
            groupAcc[w] = grow(groupAcc[w], g, hd);
        }
    }

    private static float[][] grow(float[][] a, int count, int size) {
        if (a.length < count) a = java.util.Arrays.copyOf(a, count);
        for (int i = 0; i < count; i++) if (a[i] == null || a[i].length < size) a[i] = new float[size];
        return a;
    }

    /** The units of {@link #run}'s loop: query rows times KV heads (grouped) or times heads. */
    public int units() {
        return op.n() * (grouped ? op.kvHeads() : op.heads());
    }

    @Override
    public void run(int from, int to, int worker) {
        if (grouped) {
            int kvHeads = op.kvHeads(), last = op.n() - 1;
            // the longest rows (most keys) first, so the workers' last chunks are the short ones
            for (int u = from; u < to; u++) group(last - u / kvHeads, u % kvHeads, worker);
        } else {
            for (int u = from; u < to; u++) one(u / op.heads(), u % op.heads(), worker);
        }
    }

    /**
     * {@link #one} for the {@code G = heads / kvHeads} query heads {@code kvh * G ..} of KV head {@code kvh}, step for
     * step per head (the same dots, softmax and V sum, so the same bits), with the loops over keys outside the loops
     * over heads: a block of 16 K rows, or a V row, is loaded once (then from L1) for all of them.
     */
    private void group(int i, int kvh, int worker) {
        int hd = op.headDim(), heads = op.heads(), g = heads / op.kvHeads();
        int kvStride = op.kvHeads() * hd;
        int pos = op.startPos() + i, keys = pos + 1;
        float scale = op.scale();
        float[][] qs = groupQuery[worker], ss = groupScores[worker], os = groupAcc[worker];
        float[] chunk = chunks[worker];
        long qOff = ((long) i * heads + (long) kvh * g) * hd;
        for (int h = 0; h < g; h++) {
            float[] qh = qs[h];
            MemorySegment.copy(q, WeightKernel.F32, (qOff + (long) h * hd) * 4, qh, 0, hd);
            if (half) for (int d = 0; d < hd; d++) qh[d] = Activations.half(qh[d]);
        }
        long base = (long) kvh * hd;
        int t0 = 0;
        if (!half && KEYS16 && hd % 16 == 0) {
            for (; t0 + 16 <= keys; t0 += 16) {
                long kOff = base + (long) t0 * kvStride;
                for (int h = 0; h < g; h++) scores16(k, kOff, kvStride, qs[h], hd, scale, ss[h], t0);
            }
        }
        for (int t = t0; t < keys; t++) {
            long kOff = (long) t * kvStride + base;
            for (int h = 0; h < g; h++) {
                float dot = half ? F16Kernel.dotScalar(k, kOff * 2, qs[h], 0, hd) : F32Kernel.dotVectorOrScalar(k, kOff * 4, qs[h], hd);
                ss[h][t] = dot * scale;
            }
        }
        for (int h = 0; h < g; h++) softmax(ss[h], keys, chunk);
        if (half) {
            for (int h = 0; h < g; h++) java.util.Arrays.fill(os[h], 0, hd, 0f);
            for (int t = 0; t < keys; t++) {
                long vOff = (long) t * kvStride + base;
                for (int d = 0; d < hd; d++) {
                    float vd = Float.float16ToFloat(v.getAtIndex(WeightKernel.F16, vOff + d));
                    for (int h = 0; h < g; h++) os[h][d] += ss[h][t] * vd;
                }
            }
        } else if (VectorWidth.ENABLED) {
            weightedSumGroup(v, base, kvStride, ss, g, keys, os, hd);
        } else {
            for (int h = 0; h < g; h++) weightedSumScalar(v, base, kvStride, ss[h], keys, os[h], hd);
        }
        for (int h = 0; h < g; h++) MemorySegment.copy(os[h], 0, out, WeightKernel.F32, (qOff + (long) h * hd) * 4, hd);
    }

    /** {@link #one}'s softmax of {@code s[0 .. keys)} in place (fp16-rounded probabilities for an F16 cache). */
    private void softmax(float[] s, int keys, float[] chunk) {
        float max = KEYS16 ? maxVector(s, keys) : maxScalar(s, keys);
        int full = KEYS16 ? keys - keys % GgmlMath.CHUNK : 0;
        double sum = full > 0 ? expChunksVector(s, full, max) : 0;
        sum += expChunksScalar(s, full, keys, max, chunk);
        float inv = (float) (1.0 / sum);
        for (int t = 0; t < keys; t++) {
            float p = s[t] * inv;
            s[t] = half ? Activations.half(p) : p;
        }
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
        int t0 = 0;
        if (!half && KEYS16 && hd % 16 == 0) {
            long base = (long) kvh * hd;
            for (; t0 + 16 <= pos + 1; t0 += 16) scores16(k, base + (long) t0 * kvStride, kvStride, qh, hd, op.scale(), s, t0);
        }
        for (int t = t0; t <= pos; t++) {
            long kOff = (long) t * kvStride + (long) kvh * hd;
            float dot = half ? F16Kernel.dotScalar(k, kOff * 2, qh, 0, hd) : F32Kernel.dotVectorOrScalar(k, kOff * 4, qh, hd);
            s[t] = dot * op.scale();
        }
        int keys = pos + 1;
        float max = KEYS16 ? maxVector(s, keys) : maxScalar(s, keys);
        // ggml_vec_soft_max_f32 over llama.cpp's KV window (a multiple of 256 cells, masked ones -inf): SIMD expf
        // in chunks of 16, each chunk's sum reduced in float, chunk sums added in double. Masked cells add 0.
        int full = KEYS16 ? keys - keys % GgmlMath.CHUNK : 0;
        double sum = full > 0 ? expChunksVector(s, full, max) : 0;
        sum += expChunksScalar(s, full, keys, max, chunk);
        float inv = (float) (1.0 / sum);
        for (int t = 0; t < keys; t++) {
            float p = s[t] * inv;
            s[t] = half ? Activations.half(p) : p; // ggml converts the probabilities to V's type (fp16) before V^T . p
        }
        long vBase = (long) kvh * hd;
        if (half) {
            java.util.Arrays.fill(o, 0, hd, 0f);
            for (int t = 0; t < keys; t++) {
                long vOff = (long) t * kvStride + vBase;
                for (int d = 0; d < hd; d++) o[d] += s[t] * Float.float16ToFloat(v.getAtIndex(WeightKernel.F16, vOff + d));
            }
        } else if (VectorWidth.ENABLED) {
            weightedSumVector(v, vBase, kvStride, s, keys, o, hd);
        } else {
            weightedSumScalar(v, vBase, kvStride, s, keys, o, hd);
        }
        MemorySegment.copy(o, 0, out, WeightKernel.F32, qOff * 4, hd);
    }

    /** {@code max(s[0 .. n))} with {@link Math#max} (NaN wins, +0 over -0): an order-free result. */
    static float maxScalar(float[] s, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) max = Math.max(max, s[t]);
        return max;
    }

    /** {@link #maxScalar} lane-wise ({@code FloatVector.max} is {@code Math.max} per lane), then across the lanes. */
    static float maxVector(float[] s, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int t = 0;
        for (int upper = S.loopBound(n); t < upper; t += S.length()) m = m.max(FloatVector.fromArray(S, s, t));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; t < n; t++) max = Math.max(max, s[t]);
        return max;
    }

    /**
     * {@code s[t] = expf(s[t] - max)} for {@code t} in {@code [from, to)} (at most one chunk past a multiple of 16 from
     * {@code from}) with {@link GgmlMath#expf}, in chunks of 16 whose {@link GgmlMath#reduce16} sums add up in double;
     * cells of the last chunk past {@code to} count 0 (llama.cpp's masked cells).
     */
    static double expChunksScalar(float[] s, int from, int to, float max, float[] chunk) {
        double sum = 0;
        for (int c = from; c < to; c += GgmlMath.CHUNK) {
            for (int k = 0; k < GgmlMath.CHUNK; k++) {
                int t = c + k;
                float e = t < to ? GgmlMath.expf(s[t] - max) : 0f;
                if (t < to) s[t] = e;
                chunk[k] = e;
            }
            sum += GgmlMath.reduce16(chunk, 0);
        }
        return sum;
    }

    /**
     * {@link #expChunksScalar} over {@code [0, n)}, {@code n} a multiple of 16, with 16 float lanes: {@link GgmlMath#expf}
     * step for step on the lanes (the same FMAs and products), {@code scalb(j, n)} as two exact-or-once-rounded
     * products {@code j * 2^(n >> 1) * 2^(n - (n >> 1))} (|n| <= 192, so both factors and the first product are normal
     * floats and only the second product rounds, as scalb's one rounding), the chunk sum by {@link GgmlMath#reduce16}'s
     * tree. Written inline: a vector crossing a call that C2 does not inline is boxed.
     */
    static double expChunksVector(float[] s, int n, float max) {
        assert KEYS16 && n % 16 == 0;
        final float r = 0x1.8p23f;
        FloatVector zero = FloatVector.zero(S), inf = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        double sum = 0;
        for (int c = 0; c < n; c += 16) {
            FloatVector x = FloatVector.fromArray(S, s, c).sub(max);
            FloatVector nf = x.fma(0x1.715476p+0f, r).sub(r);
            FloatVector minus = nf.neg();
            FloatVector b = minus.fma(FloatVector.broadcast(S, 0x1.7f7d1cp-20f), minus.fma(FloatVector.broadcast(S, 0x1.62e4p-1f), x));
            FloatVector u = b.mul(b);
            FloatVector j = b.fma(0x1.0e4020p-7f, 0x1.573e2ep-5f).fma(u, b.fma(0x1.555e66p-3f, 0x1.fffdb6p-2f))
                    .fma(u, b.fma(0x1.ffffecp-1f, 1.0f));
            IntVector ni = (IntVector) nf.convert(VectorOperators.F2I, 0);
            IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
            IntVector n2 = ni.sub(n1);
            FloatVector e = j.mul(n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e = e.blend(zero.blend(inf, nf.compare(VectorOperators.GT, 0f)), nf.abs().compare(VectorOperators.GT, 192f));
            e.intoArray(s, c);
            e = e.add(e.rearrange(VectorWidth.ROTATE_8));
            e = e.add(e.rearrange(VectorWidth.ROTATE_4));
            e = e.add(e.rearrange(VectorWidth.ROTATE_2));
            e = e.add(e.rearrange(VectorWidth.ROTATE_1));
            sum += e.lane(0);
        }
        return sum;
    }

    /**
     * {@code o[d] = sum_t p[t] * v_t[d]} over keys {@code t < keys} ({@code v_t} the F32 row at element
     * {@code vBase + t * kvStride}), each lane summed from 0 in key order, a product then an add per key.
     */
    static void weightedSumScalar(MemorySegment v, long vBase, long kvStride, float[] p, int keys, float[] o, int hd) {
        java.util.Arrays.fill(o, 0, hd, 0f);
        for (int t = 0; t < keys; t++) {
            long off = vBase + t * kvStride;
            for (int d = 0; d < hd; d++) o[d] += p[t] * v.getAtIndex(WeightKernel.F32, off + d);
        }
    }

    /**
     * {@link #weightedSumScalar} with the sums in registers: four vectors of output lanes at a time run over all the
     * keys (instead of loading and storing {@code o} per key); each lane still adds {@code p[t] * v_t[d]} in key
     * order, so the bits are the same.
     */
    static void weightedSumVector(MemorySegment v, long vBase, long kvStride, float[] p, int keys, float[] o, int hd) {
        int l = S.length(), d = 0;
        for (; d + 4 * l <= hd; d += 4 * l) {
            FloatVector o0 = FloatVector.zero(S), o1 = o0, o2 = o0, o3 = o0;
            for (int t = 0; t < keys; t++) {
                long off = (vBase + t * kvStride + d) * 4;
                float pt = p[t];
                o0 = o0.add(FloatVector.fromMemorySegment(S, v, off, ByteOrder.LITTLE_ENDIAN).mul(pt));
                o1 = o1.add(FloatVector.fromMemorySegment(S, v, off + 4L * l, ByteOrder.LITTLE_ENDIAN).mul(pt));
                o2 = o2.add(FloatVector.fromMemorySegment(S, v, off + 8L * l, ByteOrder.LITTLE_ENDIAN).mul(pt));
                o3 = o3.add(FloatVector.fromMemorySegment(S, v, off + 12L * l, ByteOrder.LITTLE_ENDIAN).mul(pt));
            }
            o0.intoArray(o, d);
            o1.intoArray(o, d + l);
            o2.intoArray(o, d + 2 * l);
            o3.intoArray(o, d + 3 * l);
        }
        for (; d + l <= hd; d += l) {
            FloatVector o0 = FloatVector.zero(S);
            for (int t = 0; t < keys; t++)
                o0 = o0.add(FloatVector.fromMemorySegment(S, v, (vBase + t * kvStride + d) * 4, ByteOrder.LITTLE_ENDIAN).mul(p[t]));
            o0.intoArray(o, d);
        }
        for (; d < hd; d++) {
            float acc = 0f;
            for (int t = 0; t < keys; t++) acc += p[t] * v.getAtIndex(WeightKernel.F32, vBase + t * kvStride + d);
            o[d] = acc;
        }
    }

    /**
     * {@link #weightedSumVector} for {@code g} heads' probabilities {@code p[h]} against the same V rows: four (or two)
     * heads at a time share each V row's loads; every head's lane still adds {@code p[h][t] * v_t[d]} (a product,
     * then an add) from 0 in key order, so each {@code o[h]} has {@link #weightedSumVector}'s bits.
     */
    static void weightedSumGroup(MemorySegment v, long vBase, long kvStride, float[][] p, int g, int keys, float[][] o, int hd) {
        int h = 0;
        if (hd % (4 * S.length()) == 0) {
            for (; h + 4 <= g; h += 4) weightedSum4(v, vBase, kvStride, p[h], p[h + 1], p[h + 2], p[h + 3], keys,
                    o[h], o[h + 1], o[h + 2], o[h + 3], hd);
            for (; h + 2 <= g; h += 2) weightedSum2(v, vBase, kvStride, p[h], p[h + 1], keys, o[h], o[h + 1], hd);
        }
        for (; h < g; h++) weightedSumVector(v, vBase, kvStride, p[h], keys, o[h], hd);
    }

    /** Four heads' {@link #weightedSumVector}s ({@code hd} a multiple of four vectors): 16 sums in registers. */
    static void weightedSum4(MemorySegment v, long vBase, long kvStride, float[] pa, float[] pb, float[] pc, float[] pd,
                             int keys, float[] oa, float[] ob, float[] oc, float[] od, int hd) {
        int l = S.length();
        for (int d = 0; d < hd; d += 4 * l) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0,
                    c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
            for (int t = 0; t < keys; t++) {
                long off = (vBase + t * kvStride + d) * 4;
                FloatVector v0 = FloatVector.fromMemorySegment(S, v, off, ByteOrder.LITTLE_ENDIAN);
                FloatVector v1 = FloatVector.fromMemorySegment(S, v, off + 4L * l, ByteOrder.LITTLE_ENDIAN);
                FloatVector v2 = FloatVector.fromMemorySegment(S, v, off + 8L * l, ByteOrder.LITTLE_ENDIAN);
                FloatVector v3 = FloatVector.fromMemorySegment(S, v, off + 12L * l, ByteOrder.LITTLE_ENDIAN);
                float x = pa[t];
                a0 = a0.add(v0.mul(x));
                a1 = a1.add(v1.mul(x));
                a2 = a2.add(v2.mul(x));
                a3 = a3.add(v3.mul(x));
                x = pb[t];
                b0 = b0.add(v0.mul(x));
                b1 = b1.add(v1.mul(x));
                b2 = b2.add(v2.mul(x));
                b3 = b3.add(v3.mul(x));
                x = pc[t];
                c0 = c0.add(v0.mul(x));
                c1 = c1.add(v1.mul(x));
                c2 = c2.add(v2.mul(x));
                c3 = c3.add(v3.mul(x));
                x = pd[t];
                d0 = d0.add(v0.mul(x));
                d1 = d1.add(v1.mul(x));
                d2 = d2.add(v2.mul(x));
                d3 = d3.add(v3.mul(x));
            }
            a0.intoArray(oa, d);
            a1.intoArray(oa, d + l);
            a2.intoArray(oa, d + 2 * l);
            a3.intoArray(oa, d + 3 * l);
            b0.intoArray(ob, d);
            b1.intoArray(ob, d + l);
            b2.intoArray(ob, d + 2 * l);
            b3.intoArray(ob, d + 3 * l);
            c0.intoArray(oc, d);
            c1.intoArray(oc, d + l);
            c2.intoArray(oc, d + 2 * l);
            c3.intoArray(oc, d + 3 * l);
            d0.intoArray(od, d);
            d1.intoArray(od, d + l);
            d2.intoArray(od, d + 2 * l);
            d3.intoArray(od, d + 3 * l);
        }
    }

    /** Two heads' {@link #weightedSumVector}s ({@code hd} a multiple of four vectors). */
    static void weightedSum2(MemorySegment v, long vBase, long kvStride, float[] pa, float[] pb, int keys,
                             float[] oa, float[] ob, int hd) {
        int l = S.length();
        for (int d = 0; d < hd; d += 4 * l) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int t = 0; t < keys; t++) {
                long off = (vBase + t * kvStride + d) * 4;
                FloatVector v0 = FloatVector.fromMemorySegment(S, v, off, ByteOrder.LITTLE_ENDIAN);
                FloatVector v1 = FloatVector.fromMemorySegment(S, v, off + 4L * l, ByteOrder.LITTLE_ENDIAN);
                FloatVector v2 = FloatVector.fromMemorySegment(S, v, off + 8L * l, ByteOrder.LITTLE_ENDIAN);
                FloatVector v3 = FloatVector.fromMemorySegment(S, v, off + 12L * l, ByteOrder.LITTLE_ENDIAN);
                float x = pa[t];
                a0 = a0.add(v0.mul(x));
                a1 = a1.add(v1.mul(x));
                a2 = a2.add(v2.mul(x));
                a3 = a3.add(v3.mul(x));
                x = pb[t];
                b0 = b0.add(v0.mul(x));
                b1 = b1.add(v1.mul(x));
                b2 = b2.add(v2.mul(x));
                b3 = b3.add(v3.mul(x));
            }
            a0.intoArray(oa, d);
            a1.intoArray(oa, d + l);
            a2.intoArray(oa, d + 2 * l);
            a3.intoArray(oa, d + 3 * l);
            b0.intoArray(ob, d);
            b1.intoArray(ob, d + l);
            b2.intoArray(ob, d + 2 * l);
            b3.intoArray(ob, d + 3 * l);
        }
    }

    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    /** {@link #scores16} runs: vector kernels on, 16 float lanes. */
    static final boolean KEYS16 = VectorWidth.ENABLED && S.length() == 16;
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
