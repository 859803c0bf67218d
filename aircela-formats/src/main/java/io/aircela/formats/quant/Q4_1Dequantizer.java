package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

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
public final class Q4_1Dequantizer extends BlockDequantizer {
    private static final int QK = 32;

    public Q4_1Dequantizer() {
        super(QuantType.Q4_1);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b);
        float m = half(src, b + 2);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(src, b + 4 + j);
            dst[y + j] = (q & 0x0F) * d + m;
            dst[y + j + QK / 2] = (q >>> 4) * d + m;
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
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
        return sum + (half(src, b) * sqx + half(src, b + 2) * sx); // the two terms add up before they join the running sum
    }
}
