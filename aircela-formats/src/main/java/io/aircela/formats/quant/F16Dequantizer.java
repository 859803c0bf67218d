package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;

/**
 * F16: IEEE 754 binary16, little-endian.
 * <pre>{@code ggml_fp16_t x; // 2 bytes per weight}</pre>
 * Exact (every half is a float); as ggml's {@code ggml_fp16_to_fp32_row}. Stateless and thread-safe.
 */
public final class F16Dequantizer implements Dequantizer, DequantizerProvider {

    @Override
    public String typeName() {
        return "F16";
    }

    @Override
    public Dequantizer create() {
        return this;
    }

    @Override
    public int blockSize() {
        return 1;
    }

    @Override
    public int bytesPerBlock() {
        return 2;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count) {
        QuantBlocks.check(this, src, srcOffset, dst, dstOffset, count);
        for (int i = 0; i < count; i++) dst[dstOffset + i] = half(src, srcOffset + 2L * i);
    }

    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        QuantBlocks.check(this, src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < count; i++) sum += half(src, srcOffset + 2L * i) * x[xOffset + i];
        return sum;
    }
}
