package io.aircela.weights;

import io.aircela.quant.QuantType;

import java.util.Arrays;

/**
 * One tensor of a model file.
 *
 * @param name     the name as stored (e.g. {@code blk.0.attn_q.weight})
 * @param type     storage type
 * @param shape    dimensions in ggml order: {@code shape[0]} is the innermost (contiguous) one, so a
 *                 weight matrix with {@code rows} outputs over {@code cols} inputs is {@code [cols, rows]}
 * @param offset   absolute byte offset of the first byte in the file
 * @param byteSize bytes the tensor occupies
 * @param layer    the transformer layer it belongs to ({@code blk.N.*}), or {@code -1}
 */
public record TensorInfo(String name, QuantType type, long[] shape, long offset, long byteSize, int layer) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions (1..4). */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i} in ggml order (0 = innermost). */
    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (product of the shape). */
    public long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Row length: {@code shape[0]}. */
    public long cols() {
        return shape[0];
    }

    /** Number of rows: product of all dimensions but the innermost. */
    public long rows() {
        long n = 1;
        for (int i = 1; i < shape.length; i++) n = Math.multiplyExact(n, shape[i]);
        return n;
    }

    /** Byte offset one past the last byte. */
    public long end() {
        return offset + byteSize;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && offset == t.offset && byteSize == t.byteSize && layer == t.layer;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + " @" + offset + "+" + byteSize;
    }
}
