package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q5_0: blocks of 32 weights, a half-precision scale and 5-bit quants with an implicit offset of 16;
 * the fifth bits of all 32 quants live in one little-endian 32-bit word.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;       // delta                       (offset 0)
 *     uint8_t   qh[4];   // 5-th bit of quants          (offset 2; bit j = quant j)
 *     uint8_t   qs[16];  // nibbles / quants            (offset 6)
 * } block_q5_0;          // 22 bytes
 * y[j]    = (((qs[j] & 0x0F) | ((qh >> j)      & 1) << 4) - 16) * d    j < 16
 * y[j+16] = (((qs[j] >>   4) | ((qh >> (j+16)) & 1) << 4) - 16) * d
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q5_0}. Stateless and thread-safe.
 */
public final class Q5_0Dequantizer extends BlockDequantizer {
    private static final int QK = 32;

    public Q5_0Dequantizer() {
        super(QuantType.Q5_0);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b);
        int qh = src.get(QuantBlocks.U32, b + 2);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(src, b + 6 + j);
            int x0 = ((q & 0x0F) | ((qh >>> j) << 4) & 0x10) - 16;
            int x1 = ((q >>> 4) | (qh >>> (j + 12)) & 0x10) - 16;
            dst[y + j] = x0 * d;
            dst[y + j + QK / 2] = x1 * d;
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        int qh = src.get(QuantBlocks.U32, b + 2);
        float s = 0f;
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(src, b + 6 + j);
            int x0 = ((q & 0x0F) | ((qh >>> j) << 4) & 0x10) - 16;
            int x1 = ((q >>> 4) | (qh >>> (j + 12)) & 0x10) - 16;
            s += x0 * x[xi + j] + x1 * x[xi + j + QK / 2];
        }
        return sum + s * half(src, b);
    }
}
