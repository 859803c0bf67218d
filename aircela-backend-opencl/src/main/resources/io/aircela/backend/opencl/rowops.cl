// The per-row and element-wise ops. Row kernels run one work-group of WG items per row; element-wise
// kernels one work-item per element (the global size is rounded up, hence the bounds checks).
// Float arithmetic follows the CPU backend's RowOps step by step (sums are float here, not double).

// out (n, dim) = (x * (1 / sqrt(mean(x^2) + eps))) * w; out may be x (each item rewrites only its own elements,
// after the reduction's barriers).
__kernel void rms_norm(__global const float *x, __global const float *w, __global float *out, int dim, float eps) {
    __local float red[WG];
    size_t o = (size_t) get_group_id(0) * dim;
    int lid = get_local_id(0);
    float sum = 0.0f;
    for (int i = lid; i < dim; i += WG) sum += x[o + i] * x[o + i];
    sum = wg_sum(sum, red);
    float scale = 1.0f / sqrt(sum / dim + eps);
    for (int i = lid; i < dim; i += WG) out[o + i] = (x[o + i] * scale) * w[i];
}

// Softmax in place over each row of x (n, dim): max subtracted, then scaled by 1 / sum.
__kernel void softmax(__global float *x, int dim) {
    __local float red[WG];
    size_t o = (size_t) get_group_id(0) * dim;
    int lid = get_local_id(0);
    float m = -INFINITY;
    for (int i = lid; i < dim; i += WG) m = fmax(m, x[o + i]);
    m = wg_max(m, red);
    float sum = 0.0f;
    for (int i = lid; i < dim; i += WG) {
        float e = exp(x[o + i] - m);
        x[o + i] = e;
        sum += e;
    }
    float inv = 1.0f / wg_sum(sum, red);
    for (int i = lid; i < dim; i += WG) x[o + i] *= inv;
}

// Rotary embedding in place on x (n, heads * headDim), work-item (pair j, head, row). The angle of pair j is
// pos * thetaScale^j, multiplied up step by step in float as ggml (and the CPU backend) do.
__kernel void rope(__global float *x, int heads, int headDim, int pairs, int startPos, float thetaScale, int neox) {
    int j = get_global_id(0), h = get_global_id(1), r = get_global_id(2);
    if (j >= pairs) return;
    float theta = (float) (startPos + r);
    for (int k = 0; k < j; k++) theta *= thetaScale;
    float c = cos(theta), s = sin(theta);
    size_t o = ((size_t) r * heads + h) * headDim;
    size_t i0 = neox ? o + j : o + 2 * j;
    size_t i1 = neox ? o + j + pairs : i0 + 1;
    float x0 = x[i0], x1 = x[i1];
    x[i0] = x0 * c - x1 * s;
    x[i1] = x0 * s + x1 * c;
}

// out[i] = silu(gate[i]) * up[i]; out may alias either input.
__kernel void swiglu(__global const float *gate, __global const float *up, __global float *out, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    float g = gate[i];
    out[i] = g / (1.0f + exp(-g)) * up[i];
}

// out[i] = a[i] + b[i % bCount]: residual add (bCount == count) or a bias broadcast over rows.
__kernel void add(__global const float *a, __global const float *b, __global float *out, ulong count, ulong bCount) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    out[i] = a[i] + b[bCount == count ? i : i % bCount];
}

// dst[dstOff + i] = src[srcOff + i] with a type change (same-type copies use clEnqueueCopyBuffer).
__kernel void copy_f32_f16(__global const float *src, ulong srcOff, __global half *dst, ulong dstOff, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    vstore_half_rte(src[srcOff + i], dstOff + i, dst);
}

__kernel void copy_f16_f32(__global const half *src, ulong srcOff, __global float *dst, ulong dstOff, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    dst[dstOff + i] = vload_half(srcOff + i, src);
}
