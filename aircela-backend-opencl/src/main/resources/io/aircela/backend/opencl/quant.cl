// Weight decoding, one "unit" at a time, straight from the stored bytes. A unit is the smallest piece
// with its own scale: one element (F32, F16), one 32-weight block (Q8_0, Q4_0), one 32-weight sub-block
// (Q4_K) or one 16-weight sub-block (Q6_K). wr points at the start of a weight row; x at the row's
// activations. dot_T(wr, u, x) = sum over unit u of w * x; deq_T(wr, u, y) writes unit u's weights to
// y[0 .. unit size). The arithmetic (order included) is the Java Dequantizer's, so deq_T is bit-exact.

// ---- F32, F16: unit = 1 element
float dot_f32(__global const uchar *wr, int u, __global const float *x) {
    return ((__global const float *) wr)[u] * x[u];
}
void deq_f32(__global const uchar *wr, int u, __global float *y) {
    y[0] = ((__global const float *) wr)[u];
}
float dot_f16(__global const uchar *wr, int u, __global const float *x) {
    return vload_half(u, (__global const half *) wr) * x[u];
}
void deq_f16(__global const uchar *wr, int u, __global float *y) {
    y[0] = vload_half(u, (__global const half *) wr);
}

// ---- Q8_0: { half d; int8 qs[32]; } 34 bytes; y[j] = qs[j] * d
float dot_q8_0(__global const uchar *wr, int u, __global const float *x) {
    __global const uchar *b = wr + u * 34;
    __global const char *qs = (__global const char *) (b + 2);
    __global const float *xb = x + u * 32;
    float s = 0.0f;
    for (int j = 0; j < 32; j++) s += qs[j] * xb[j];
    return s * half_at(b);
}
void deq_q8_0(__global const uchar *wr, int u, __global float *y) {
    __global const uchar *b = wr + u * 34;
    __global const char *qs = (__global const char *) (b + 2);
    float d = half_at(b);
    for (int j = 0; j < 32; j++) y[j] = qs[j] * d;
}

// ---- Q4_0: { half d; uint8 qs[16]; } 18 bytes; y[j] = ((qs[j] & 15) - 8) * d, y[j+16] = ((qs[j] >> 4) - 8) * d
float dot_q4_0(__global const uchar *wr, int u, __global const float *x) {
    __global const uchar *b = wr + u * 18;
    __global const float *xb = x + u * 32;
    float s = 0.0f;
    for (int j = 0; j < 16; j++) {
        int q = b[2 + j];
        s += ((q & 0x0F) - 8) * xb[j] + ((q >> 4) - 8) * xb[j + 16];
    }
    return s * half_at(b);
}
void deq_q4_0(__global const uchar *wr, int u, __global float *y) {
    __global const uchar *b = wr + u * 18;
    float d = half_at(b);
    for (int j = 0; j < 16; j++) {
        int q = b[2 + j];
        y[j] = ((q & 0x0F) - 8) * d;
        y[j + 16] = ((q >> 4) - 8) * d;
    }
}

// ---- Q4_K: { half d; half dmin; uint8 scales[12]; uint8 qs[128]; } 144 bytes, 8 sub-blocks of 32.
// Sub-block j uses qs[32*(j/2) ..] low nibbles (j even) or high nibbles (j odd):
// y = d*sc(j) * q - dmin*m(j), sc/m from get_scale_min_k4.
int scale_k4(__global const uchar *q, int j) {
    return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
}
int min_k4(__global const uchar *q, int j) {
    return j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
}
float dot_q4_k(__global const uchar *wr, int u, __global const float *x) {
    __global const uchar *b = wr + (u >> 3) * 144;
    int j = u & 7;
    __global const uchar *qs = b + 16 + 32 * (j >> 1);
    int shift = (j & 1) * 4;
    __global const float *xb = x + u * 32;
    float sq = 0.0f, sx = 0.0f;
    for (int l = 0; l < 32; l++) {
        sq += ((qs[l] >> shift) & 0xF) * xb[l];
        sx += xb[l];
    }
    return half_at(b) * scale_k4(b + 4, j) * sq - half_at(b + 2) * min_k4(b + 4, j) * sx;
}
void deq_q4_k(__global const uchar *wr, int u, __global float *y) {
    __global const uchar *b = wr + (u >> 3) * 144;
    int j = u & 7;
    __global const uchar *qs = b + 16 + 32 * (j >> 1);
    int shift = (j & 1) * 4;
    float d1 = half_at(b) * scale_k4(b + 4, j);
    float m1 = half_at(b + 2) * min_k4(b + 4, j);
    for (int l = 0; l < 32; l++) y[l] = d1 * ((qs[l] >> shift) & 0xF) - m1;
}

// ---- Q6_K: { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d; } 210 bytes, 16 sub-blocks of 16.
// Sub-block k: half h = k/8, quarter qq = (k%8)/2, lines l in [16*(k%2), +16):
// q = ((ql[64h + 32(qq&1) + l] >> 4(qq>>1)) & 15) | ((qh[32h + l] >> 2qq) & 3) << 4, minus 32;
// y[128h + 32qq + l] = d * scales[k] * q.
#define Q6K_SETUP \
    __global const uchar *b = wr + (u >> 4) * 210; \
    int k = u & 15, h = k >> 3, qq = (k & 7) >> 1, l0 = 16 * (k & 1); \
    __global const uchar *ql = b + 64 * h + 32 * (qq & 1); \
    __global const uchar *qh = b + 128 + 32 * h; \
    int lshift = 4 * (qq >> 1), hshift = 2 * qq; \
    float d = half_at(b + 208); \
    int sc = ((__global const char *) (b + 192))[k];
#define Q6K_Q(l) ((((ql[l] >> lshift) & 0xF) | (((qh[l] >> hshift) & 3) << 4)) - 32)

float dot_q6_k(__global const uchar *wr, int u, __global const float *x) {
    Q6K_SETUP
    __global const float *xb = x + (u >> 4) * 256 + 128 * h + 32 * qq;
    float s = 0.0f;
    for (int l = l0; l < l0 + 16; l++) s += Q6K_Q(l) * xb[l];
    return d * (sc * s);
}
void deq_q6_k(__global const uchar *wr, int u, __global float *y) {
    Q6K_SETUP
    for (int l = l0; l < l0 + 16; l++) y[l - l0] = d * sc * Q6K_Q(l);
}

// ---- the kernels, one pair per type

// out (n, rows) = x (n, cols) @ W^T: one work-group per (output row, activation row), units split over
// the group and summed. w: the whole tensor; rowBytes: bytes per weight row; units: units per row.
#define MATMUL(T) \
__kernel void matmul_##T(__global const uchar *w, ulong rowBytes, int units, __global const float *x, int cols, \
                         __global float *out, int rows) { \
    __local float red[WG]; \
    int row = get_group_id(0), i = get_group_id(1); \
    __global const uchar *wr = w + row * rowBytes; \
    __global const float *xr = x + (size_t) i * cols; \
    float acc = 0.0f; \
    for (int u = get_local_id(0); u < units; u += WG) acc += dot_##T(wr, u, xr); \
    acc = wg_sum(acc, red); \
    if (get_local_id(0) == 0) out[(size_t) i * rows + row] = acc; \
}

// out (n, cols) = dequantize(table[ids[i]]): work-item (u, i) writes unit u of output row i.
// unitSize: weights per unit.
#define GET_ROWS(T) \
__kernel void get_rows_##T(__global const uchar *w, ulong rowBytes, int units, int unitSize, \
                           __global const int *ids, int cols, __global float *out) { \
    int u = get_global_id(0), i = get_global_id(1); \
    if (u >= units) return; \
    deq_##T(w + ids[i] * rowBytes, u, out + (size_t) i * cols + (size_t) u * unitSize); \
}

MATMUL(f32) MATMUL(f16) MATMUL(q8_0) MATMUL(q4_0) MATMUL(q4_k) MATMUL(q6_k)
GET_ROWS(f32) GET_ROWS(f16) GET_ROWS(q8_0) GET_ROWS(q4_0) GET_ROWS(q4_k) GET_ROWS(q6_k)
