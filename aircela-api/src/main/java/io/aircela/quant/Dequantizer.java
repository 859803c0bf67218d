package io.aircela.quant;

import java.lang.foreign.MemorySegment;

/**
 * One tensor storage format: turns blocks of stored weights back into floats.
 *
 * <p>Implementations are stateless and thread-safe. The scalar {@link #dequantize} is the
 * reference that every faster kernel (fused dot products, vectorized or device kernels) is
 * tested against. A backend without a fused kernel for a format falls back to
 * dequantize-then-dense, so a new format works everywhere on day one.
 *
 * <p>Byte layout is little-endian, exactly as ggml writes it.
 */
public interface Dequantizer {

    /** The on-disk type name, e.g. {@code "Q4_0"}; the registry key. */
    String typeName();

    /** Weights per block. */
    int blockSize();

    /** Bytes per block. */
    int bytesPerBlock();

    /**
     * Dequantizes {@code count} consecutive weights.
     *
     * @param src       the stored bytes (not modified; any memory segment, mapped or not)
     * @param srcOffset byte offset of the first block in {@code src}
     * @param dst       receives {@code count} floats
     * @param dstOffset first index written in {@code dst}
     * @param count     number of weights; a multiple of {@link #blockSize()}
     */
    void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count);

    /**
     * Dot product of {@code count} stored weights with {@code x[xOffset .. xOffset+count)}.
     * The default dequantizes a block at a time; formats override it with a fused loop.
     */
    default float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        int bs = blockSize();
        float[] tmp = new float[bs];
        float sum = 0f;
        long off = srcOffset;
        for (int i = 0; i < count; i += bs, off += bytesPerBlock()) {
            dequantize(src, off, tmp, 0, bs);
            for (int j = 0; j < bs; j++) sum += tmp[j] * x[xOffset + i + j];
        }
        return sum;
    }

    /** Bytes that {@code count} weights occupy; {@code count} must be a multiple of the block size. */
    default long byteSize(long count) {
        if (count % blockSize() != 0)
            throw new IllegalArgumentException(count + " weights is not a multiple of " + typeName()
                    + "'s block size " + blockSize());
        return Math.multiplyExact(count / blockSize(), (long) bytesPerBlock());
    }
}
