package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q5_1: blocks of 32 weights, a half-precision scale and minimum and unsigned 5-bit quants; the
 * fifth bits of all 32 quants live in one little-endian 32-bit word.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;       // delta                       (offset 0)
 *     ggml_half m;       // min                         (offset 2)
 *     uint8_t   qh[4];   // 5-th bit of quants          (offset 4; bit j = quant j)
 *     uint8_t   qs[16];  // nibbles / quants            (offset 8)
 * } block_q5_1;          // 24 bytes
 * y[j]    = ((qs[j] & 0x0F) | ((qh >> j)      & 1) << 4) * d + m    j < 16
 * y[j+16] = ((qs[j] >>   4) | ((qh >> (j+16)) & 1) << 4) * d + m
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q5_1} (multiply, then add). Stateless and thread-safe.
 */
public final class Q5_1Dequantizer extends BlockDequantizer {
    private static final int QK = 32;

    public Q5_1Dequantizer() {
        super(QuantType.Q5_1);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b);
        float m = half(src, b + 2);
        int qh = src.get(QuantBlocks.U32, b + 4);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(src, b + 8 + j);
            int x0 = (q & 0x0F) | ((qh >>> j) << 4) & 0x10;
            int x1 = (q >>> 4) | (qh >>> (j + 12)) & 0x10;
            dst[y + j] = x0 * d + m;
            dst[y + j + QK / 2] = x1 * d + m;
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        int qh = src.get(QuantBlocks.U32, b + 4);
        float sqx = 0f;
        float sx = 0f;
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(src, b + 8 + j);
            float x0 = x[xi + j];
            float x1 = x[xi + j + QK / 2];
            sqx += ((q & 0x0F) | ((qh >>> j) << 4) & 0x10) * x0 + ((q >>> 4) | (qh >>> (j + 12)) & 0x10) * x1;
            sx += x0 + x1;
        }
        return sum + (half(src, b) * sqx + half(src, b + 2) * sx); // the two terms add up before they join the running sum
    }
}
