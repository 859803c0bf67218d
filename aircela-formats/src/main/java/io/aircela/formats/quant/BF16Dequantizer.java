package io.aircela.formats.quant;

import io.aircela.quant.Fp16;
import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

/**
 * BF16: bfloat16, the upper 16 bits of an IEEE 754 float, little-endian.
 * <pre>{@code ggml_bf16_t x; // uint16_t bits: 1 sign, 8 exponent, 7 mantissa; 2 bytes per weight}</pre>
 * Exact: {@code float = bits << 16}, as ggml's {@code ggml_bf16_to_fp32}. Stateless and thread-safe.
 */
public final class BF16Dequantizer extends BlockDequantizer {

    public BF16Dequantizer() {
        super(QuantType.BF16);
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
        dst[y] = Fp16.bf16ToFloat(src.get(QuantBlocks.HALF, b));
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        return sum + Fp16.bf16ToFloat(src.get(QuantBlocks.HALF, b)) * x[xi];
    }
}
