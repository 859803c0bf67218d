package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.QK_K;
import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q2_K: super-blocks of 256 weights in 16 sub-blocks of 16; 2-bit quants, a 4-bit scale and a
 * 4-bit min per sub-block, both scaled by half-precision super-block factors.
 * <pre>{@code
 * typedef struct {
 *     uint8_t   scales[16]; // lo nibble: scale, hi nibble: min, per sub-block (offset 0)
 *     uint8_t   qs[64];     // 2-bit quants                                    (offset 16)
 *     ggml_half d;          // super-block scale for quantized scales          (offset 80)
 *     ggml_half dmin;       // super-block scale for quantized mins            (offset 82)
 * } block_q2_K;             // 84 bytes
 * for each half h (128 weights, qs[32h .. 32h+32)), for shift s = 0,2,4,6 (k = s/2):
 *     weights 128h + 32k + l, l < 32, read (qs[32h + l] >> s) & 3;
 *     sub-block is = 8h + 2k + (l >= 16), y = d*(sc[is] & 0xF) * q - dmin*(sc[is] >> 4)
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q2_K}. Stateless and thread-safe.
 */
public final class Q2_KDequantizer extends BlockDequantizer {
    private static final int QS = 16;
    private static final int D = 80;

    public Q2_KDequantizer() {
        super(QuantType.Q2_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b + D);
        float min = half(src, b + D + 2);
        int is = 0;
        for (int n = 0; n < QK_K; n += 128) {
            long q = b + QS + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    int sc = u8(src, b + is++);
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >>> 4);
                    for (int l = half; l < half + 16; l++) dst[y++] = dl * ((u8(src, q + l) >>> shift) & 3) - ml;
                }
            }
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        float d = half(src, b + D);
        float min = half(src, b + D + 2);
        int is = 0;
        for (int n = 0; n < QK_K; n += 128) {
            long q = b + QS + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    int sc = u8(src, b + is++);
                    // sum((dl*q - ml) * x) = dl*sum(q*x) - ml*sum(x) over the 16 weights
                    float sqx = 0f;
                    float sx = 0f;
                    for (int l = half; l < half + 16; l++, xi++) {
                        sqx += ((u8(src, q + l) >>> shift) & 3) * x[xi];
                        sx += x[xi];
                    }
                    sum += d * (sc & 0xF) * sqx - min * (sc >>> 4) * sx;
                }
            }
        }
        return sum;
    }
}
