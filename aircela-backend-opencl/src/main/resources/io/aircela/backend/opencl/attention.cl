// Causal attention over the KV cache. One work-group of WG items per (head, query row): query row i sits at
// position p = startPos + i and sees cache rows 0..p; head h reads KV head h / group.
//   s_t = (q . k_t) * scale; p_t = exp(s_t - max) / sum; out = sum_t p_t v_t
// scores: scratch of (n * heads, ctx) floats, ctx >= startPos + n. With an F16 cache q is rounded to fp16 first,
// as ggml converts it to the keys' type (and as the CPU backend does).
#define ATTENTION(T, LOAD, QROUND) \
__kernel void attention_##T(__global const float *q, __global const T *k, __global const T *v, __global float *out, \
                            __global float *scores, int ctx, int startPos, int heads, int group, int kvHeads, \
                            int headDim, float scale) { \
    __local float red[WG]; \
    int h = get_group_id(0), i = get_group_id(1), lid = get_local_id(0); \
    int pos = startPos + i; \
    size_t kvStride = (size_t) kvHeads * headDim, kvOff = (size_t) (h / group) * headDim; \
    size_t qOff = ((size_t) i * heads + h) * headDim; \
    __global float *s = scores + ((size_t) i * heads + h) * ctx; \
    float m = -INFINITY; \
    for (int t = lid; t <= pos; t += WG) { \
        size_t ko = t * kvStride + kvOff; \
        float dot = 0.0f; \
        for (int d = 0; d < headDim; d++) dot += QROUND(q[qOff + d]) * LOAD(k, ko + d); \
        float st = dot * scale; \
        s[t] = st; \
        m = fmax(m, st); \
    } \
    m = wg_max(m, red); \
    float sum = 0.0f; \
    for (int t = lid; t <= pos; t += WG) { \
        float e = exp(s[t] - m); \
        s[t] = e; \
        sum += e; \
    } \
    float inv = 1.0f / wg_sum(sum, red); \
    barrier(CLK_GLOBAL_MEM_FENCE); /* every item reads every s[t] below */ \
    for (int d = lid; d < headDim; d += WG) { \
        float o = 0.0f; \
        for (int t = 0; t <= pos; t++) o += (s[t] * inv) * LOAD(v, t * kvStride + kvOff + d); \
        out[qOff + d] = o; \
    } \
}

#define LOAD_F32(p, idx) ((p)[idx])
#define LOAD_F16(p, idx) vload_half((idx), (p))
#define AS_IS(x) (x)

ATTENTION(float, LOAD_F32, AS_IS)
ATTENTION(half, LOAD_F16, round_to_half)
