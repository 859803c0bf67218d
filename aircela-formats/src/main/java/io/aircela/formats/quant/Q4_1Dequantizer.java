package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q4_1: blocks of 32 weights, a half-precision scale and minimum, and unsigned 4-bit quants.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;       // delta                       (offset 0)
 *     ggml_half m;       // min                         (offset 2)
 *     uint8_t   qs[16];  // nibbles / quants            (offset 4)
 * } block_q4_1;          // 20 bytes
 * y[j]    = (qs[j] & 0x0F) * d + m      j < 16
 * y[j+16] = (qs[j] >>   4) * d + m
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q4_1} (multiply, then add: no fused multiply-add).
 * Stateless and thread-safe.
 */
public final class Q4_1Dequantizer implements Dequantizer, DequantizerProvider {
    private static final int QK = 32;
    private static final int BYTES = 20;

    @Override
    public String typeName() {
        return "Q4_1";
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
            float m = half(src, b + 2);
            int y = dstOffset + i * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = u8(src, b + 4 + j);
                dst[y + j] = (q & 0x0F) * d + m;
                dst[y + j + QK / 2] = (q >>> 4) * d + m;
            }
        }
    }

    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        int nb = QuantBlocks.check(this, src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < nb; i++) {
            long b = srcOffset + (long) i * BYTES;
            int xi = xOffset + i * QK;
            // sum((q*d + m) * x) = d * sum(q*x) + m * sum(x)
            float sqx = 0f;
            float sx = 0f;
            for (int j = 0; j < QK / 2; j++) {
                int q = u8(src, b + 4 + j);
                float x0 = x[xi + j];
                float x1 = x[xi + j + QK / 2];
                sqx += (q & 0x0F) * x0 + (q >>> 4) * x1;
                sx += x0 + x1;
            }
            sum += half(src, b) * sqx + half(src, b + 2) * sx;
        }
        return sum;
    }
}
