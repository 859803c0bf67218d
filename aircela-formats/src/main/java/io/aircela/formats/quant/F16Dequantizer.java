package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;

/**
 * F16: IEEE 754 binary16, little-endian.
 * <pre>{@code ggml_fp16_t x; // 2 bytes per weight}</pre>
 * Exact (every half is a float); as ggml's {@code ggml_fp16_to_fp32_row}. Stateless and thread-safe.
 */
public final class F16Dequantizer extends BlockDequantizer {

    public F16Dequantizer() {
        super(QuantType.F16);
    }

    /** The loop over single-weight blocks lives in this final class, so {@link #dequantizeBlock} inlines. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count) {
        check(src, srcOffset, dst, dstOffset, count);
        for (int i = 0; i < count; i++) dequantizeBlock(src, srcOffset + 2L * i, dst, dstOffset + i);
    }

    /** As {@link #dequantize}: the per-weight call stays inside this final class. */
    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        check(src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < count; i++) sum = dotBlock(src, srcOffset + 2L * i, x, xOffset + i, sum);
        return sum;
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        dst[y] = half(src, b);
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        return sum + half(src, b) * x[xi];
    }
}
