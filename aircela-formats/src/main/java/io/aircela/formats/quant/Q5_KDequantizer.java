package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.minK4;
import static io.aircela.formats.quant.QuantBlocks.scaleK4;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q5_K: super-blocks of 256 weights in 8 sub-blocks of 32; unsigned 5-bit quants (low nibble in
 * {@code qs}, fifth bit in {@code qh}), a 6-bit scale and a 6-bit min per sub-block.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;          // super-block scale for quantized scales   (offset 0)
 *     ggml_half dmin;       // super-block scale for quantized mins     (offset 2)
 *     uint8_t   scales[12]; // scales and mins, quantized with 6 bits   (offset 4; get_scale_min_k4)
 *     uint8_t   qh[32];     // quants, high bit                         (offset 16)
 *     uint8_t   qs[128];    // quants, low 4 bits                       (offset 48)
 * } block_q5_K;             // 176 bytes
 * chunk c (64 weights): weight 64c + l      = d*sc(2c)   * ((qs[32c+l] & 0xF) + 16*bit(qh[l], 2c))   - dmin*m(2c)
 *                       weight 64c + 32 + l = d*sc(2c+1) * ((qs[32c+l] >> 4)  + 16*bit(qh[l], 2c+1)) - dmin*m(2c+1)
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q5_K}. Stateless and thread-safe.
 */
public final class Q5_KDequantizer extends BlockDequantizer {
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    public Q5_KDequantizer() {
        super(QuantType.Q5_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b);
        float min = half(src, b + 2);
        int u1 = 1, u2 = 2;
        for (int is = 0; is < 8; is += 2, u1 <<= 2, u2 <<= 2) {
            long ql = b + QS + 16L * is;
            float d1 = d * scaleK4(src, b + SCALES, is);
            float m1 = min * minK4(src, b + SCALES, is);
            float d2 = d * scaleK4(src, b + SCALES, is + 1);
            float m2 = min * minK4(src, b + SCALES, is + 1);
            for (int l = 0; l < 32; l++)
                dst[y + l] = d1 * ((u8(src, ql + l) & 0xF) + ((u8(src, b + QH + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++)
                dst[y + 32 + l] = d2 * ((u8(src, ql + l) >>> 4) + ((u8(src, b + QH + l) & u2) != 0 ? 16 : 0)) - m2;
            y += 64;
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        float d = half(src, b);
        float min = half(src, b + 2);
        int u1 = 1, u2 = 2;
        for (int is = 0; is < 8; is += 2, u1 <<= 2, u2 <<= 2) {
            long ql = b + QS + 16L * is;
            float sq1 = 0f, sq2 = 0f, sx1 = 0f, sx2 = 0f;
            for (int l = 0; l < 32; l++) {
                int v = u8(src, ql + l);
                int h = u8(src, b + QH + l);
                float x1 = x[xi + l];
                float x2 = x[xi + 32 + l];
                sq1 += ((v & 0xF) + ((h & u1) != 0 ? 16 : 0)) * x1;
                sq2 += ((v >>> 4) + ((h & u2) != 0 ? 16 : 0)) * x2;
                sx1 += x1;
                sx2 += x2;
            }
            sum += d * scaleK4(src, b + SCALES, is) * sq1 - min * minK4(src, b + SCALES, is) * sx1;
            sum += d * scaleK4(src, b + SCALES, is + 1) * sq2 - min * minK4(src, b + SCALES, is + 1) * sx2;
            xi += 64;
        }
        return sum;
    }
}
