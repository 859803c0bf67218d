package io.aircela.compute;

import io.aircela.weights.RopeStyle;

/**
 * One operation for {@link ComputeBackend#run}. A closed set of records, like ggml's op table:
 * a backend is a switch over these. All shapes are row-major with the innermost dimension last in
 * the comments below ({@code (n, d)} = n rows of d floats). Activations are F32 unless a field says
 * otherwise; weights keep their stored type. Offsets and counts are in elements, not bytes.
 */
public sealed interface Op {

    /** The kind of this op, for capability checks. */
    OpKind kind();

    /** {@code out (n, cols) = dequantize(table[ids[i]])}: embedding lookup. */
    record GetRows(DeviceBuffer table, int[] ids, int cols, DeviceBuffer out) implements Op {
        public OpKind kind() {
            return OpKind.GET_ROWS;
        }
    }

    /**
     * {@code out (n, rows) = x (n, cols) @ W^T}, where {@code W (rows, cols)} is a weight in any stored type
     * (ggml shape {@code [cols, rows]}). {@code n = 1} is the decode matrix-vector case.
     */
    record MatMul(DeviceBuffer weight, int rows, int cols, DeviceBuffer x, DeviceBuffer out, int n) implements Op {
        public OpKind kind() {
            return OpKind.MATMUL;
        }
    }

    /** {@code out (n, dim) = x / sqrt(mean(x^2) + eps) * weight (dim)}, per row. {@code out} may be {@code x}. */
    record RmsNorm(DeviceBuffer x, DeviceBuffer weight, DeviceBuffer out, int n, int dim, float eps) implements Op {
        public OpKind kind() {
            return OpKind.RMSNORM;
        }
    }

    /**
     * Rotary embedding in place on {@code x (n, heads * headDim)}; row {@code i} is at position
     * {@code startPos + i}. The first {@code ropeDims} dimensions of each head rotate with
     * {@code theta_j = pos * base^(-2j / ropeDims)}, paired as {@code style} says.
     */
    record Rope(DeviceBuffer x, int n, int heads, int headDim, int ropeDims, int startPos, float base,
                RopeStyle style) implements Op {
        public OpKind kind() {
            return OpKind.ROPE;
        }
    }

    /**
     * Causal attention of {@code q (n, heads * headDim)} over the KV cache {@code keys, values (ctx, kvHeads * headDim)}
     * (F32 or F16). Query row {@code i} is at position {@code startPos + i} and sees cache rows
     * {@code 0 .. startPos + i}; query head {@code h} uses KV head {@code h / (heads / kvHeads)}.
     * {@code out (n, heads * headDim) = softmax(q k^T * scale) v}.
     */
    record Attention(DeviceBuffer q, DeviceBuffer keys, DeviceBuffer values, DeviceBuffer out, int n, int startPos,
                     int heads, int kvHeads, int headDim, float scale) implements Op {
        public OpKind kind() {
            return OpKind.ATTENTION;
        }
    }

    /** {@code out[i] = silu(gate[i]) * up[i]} for {@code count} elements; {@code out} may alias either input. */
    record SwiGlu(DeviceBuffer gate, DeviceBuffer up, DeviceBuffer out, long count) implements Op {
        public OpKind kind() {
            return OpKind.SWIGLU;
        }
    }

    /**
     * {@code out[i] = a[i] + b[i % bCount]} for {@code count} elements: {@code bCount == count} is an
     * element-wise add (residuals), a smaller {@code bCount} broadcasts a bias over rows.
     */
    record Add(DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, long count, long bCount) implements Op {
        public OpKind kind() {
            return OpKind.ADD;
        }
    }

    /** Softmax in place over each of the {@code n} rows of {@code x (n, dim)}. */
    record Softmax(DeviceBuffer x, int n, int dim) implements Op {
        public OpKind kind() {
            return OpKind.SOFTMAX;
        }
    }

    /**
     * {@code dst[dstOffset + i] = src[srcOffset + i]} for {@code count} elements, converting between
     * F32 and F16 as the buffers' types say (how the KV cache is written).
     */
    record Copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long count) implements Op {
        public OpKind kind() {
            return OpKind.COPY;
        }
    }
}
