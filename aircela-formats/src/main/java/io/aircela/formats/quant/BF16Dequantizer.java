package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;
import io.aircela.quant.Fp16;

import java.lang.foreign.MemorySegment;

/**
 * BF16: bfloat16, the upper 16 bits of an IEEE 754 float, little-endian.
 * <pre>{@code ggml_bf16_t x; // uint16_t bits: 1 sign, 8 exponent, 7 mantissa; 2 bytes per weight}</pre>
 * Exact: {@code float = bits << 16}, as ggml's {@code ggml_bf16_to_fp32}. Stateless and thread-safe.
 */
public final class BF16Dequantizer implements Dequantizer, DequantizerProvider {

    @Override
    public String typeName() {
        return "BF16";
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
        for (int i = 0; i < count; i++)
            dst[dstOffset + i] = Fp16.bf16ToFloat(src.get(QuantBlocks.HALF, srcOffset + 2L * i));
    }

    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        QuantBlocks.check(this, src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < count; i++)
            sum += Fp16.bf16ToFloat(src.get(QuantBlocks.HALF, srcOffset + 2L * i)) * x[xOffset + i];
        return sum;
    }
}
