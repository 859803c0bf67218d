package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q4_0: blocks of 32 weights, one half-precision scale and 4-bit quants with an implicit offset of 8.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;       // delta                       (offset 0)
 *     uint8_t   qs[16];  // nibbles / quants            (offset 2)
 * } block_q4_0;          // 18 bytes
 * y[j]    = ((qs[j] & 0x0F) - 8) * d    j < 16
 * y[j+16] = ((qs[j] >>   4) - 8) * d
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q4_0}. Stateless and thread-safe.
 */
public final class Q4_0Dequantizer extends BlockDequantizer {
    private static final int QK = 32;

    public Q4_0Dequantizer() {
        super(QuantType.Q4_0);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(src, b + 2 + j);
            dst[y + j] = ((q & 0x0F) - 8) * d;
            dst[y + j + QK / 2] = ((q >>> 4) - 8) * d;
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        float s = 0f;
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(src, b + 2 + j);
            s += ((q & 0x0F) - 8) * x[xi + j] + ((q >>> 4) - 8) * x[xi + j + QK / 2];
        }
        return sum + s * half(src, b);
    }
}
