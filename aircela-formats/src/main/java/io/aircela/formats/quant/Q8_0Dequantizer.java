package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.i8;

/**
 * Q8_0: blocks of 32 weights, one half-precision scale and 32 signed bytes.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;       // delta            (offset 0)
 *     int8_t    qs[32];  // quants           (offset 2)
 * } block_q8_0;          // 34 bytes
 * y[j] = qs[j] * d
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q8_0}. Stateless and thread-safe.
 */
public final class Q8_0Dequantizer implements Dequantizer, DequantizerProvider {
    private static final int QK = 32;
    private static final int BYTES = 34;

    @Override
    public String typeName() {
        return "Q8_0";
    }

    @Override
    public Dequantizer create() {
        return this;
    }

    @Override
    public int blockSize() {
        return QK;
    }

    @Override
    public int bytesPerBlock() {
        return BYTES;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count) {
        int nb = QuantBlocks.check(this, src, srcOffset, dst, dstOffset, count);
        for (int i = 0; i < nb; i++) {
            long b = srcOffset + (long) i * BYTES;
            float d = half(src, b);
            int y = dstOffset + i * QK;
            for (int j = 0; j < QK; j++) dst[y + j] = i8(src, b + 2 + j) * d;
        }
    }

    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        int nb = QuantBlocks.check(this, src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < nb; i++) {
            long b = srcOffset + (long) i * BYTES;
            int xi = xOffset + i * QK;
            // sum(q*x) first, scale once per block: 32 fewer multiplications
            float s = 0f;
            for (int j = 0; j < QK; j++) s += i8(src, b + 2 + j) * x[xi + j];
            sum += s * half(src, b);
        }
        return sum;
    }
}
