package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.i8;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q6_K: super-blocks of 256 weights in 16 sub-blocks of 16; 6-bit signed quants (low 4 bits in
 * {@code ql}, high 2 bits in {@code qh}, offset 32) and a signed 8-bit scale per sub-block.
 * <pre>{@code
 * typedef struct {
 *     uint8_t   ql[128];    // quants, lower 4 bits                     (offset 0)
 *     uint8_t   qh[64];     // quants, upper 2 bits                     (offset 128)
 *     int8_t    scales[16]; // scales, quantized with 8 bits            (offset 192)
 *     ggml_half d;          // super-block scale                        (offset 208)
 * } block_q6_K;             // 210 bytes
 * half h (128 weights; ql += 64h, qh += 32h, sc += 8h), l < 32, is = l/16:
 *     y[l]      = d * sc[is+0] * ((ql[l]    & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32)
 *     y[l + 32] = d * sc[is+2] * ((ql[l+32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32)
 *     y[l + 64] = d * sc[is+4] * ((ql[l]    >> 4)  | ((qh[l] >> 4) & 3) << 4) - 32)
 *     y[l + 96] = d * sc[is+6] * ((ql[l+32] >> 4)  | ((qh[l] >> 6) & 3) << 4) - 32)
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q6_K} ({@code (d * sc) * q}, in that order).
 * Stateless and thread-safe.
 */
public final class Q6_KDequantizer extends BlockDequantizer {
    private static final int QH = 128;
    private static final int SC = 192;
    private static final int D = 208;

    public Q6_KDequantizer() {
        super(QuantType.Q6_K);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b + D);
        for (int h = 0; h < 2; h++, y += 128) {
            long ql = b + 64L * h;
            long qh = b + QH + 32L * h;
            long sc = b + SC + 8L * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lo = u8(src, ql + l);
                int lo2 = u8(src, ql + l + 32);
                int hi = u8(src, qh + l);
                dst[y + l] = d * i8(src, sc + is) * (((lo & 0xF) | (hi & 3) << 4) - 32);
                dst[y + l + 32] = d * i8(src, sc + is + 2) * (((lo2 & 0xF) | ((hi >>> 2) & 3) << 4) - 32);
                dst[y + l + 64] = d * i8(src, sc + is + 4) * (((lo >>> 4) | ((hi >>> 4) & 3) << 4) - 32);
                dst[y + l + 96] = d * i8(src, sc + is + 6) * (((lo2 >>> 4) | ((hi >>> 6) & 3) << 4) - 32);
            }
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        float d = half(src, b + D);
        for (int h = 0; h < 2; h++, xi += 128) {
            long ql = b + 64L * h;
            long qh = b + QH + 32L * h;
            long sc = b + SC + 8L * h;
            // one partial sum per 16-weight sub-block: s[k] pairs with scale sc[k] (k = 2*quarter + l/16)
            for (int g = 0; g < 2; g++) {
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                for (int l = 16 * g; l < 16 * g + 16; l++) {
                    int lo = u8(src, ql + l);
                    int lo2 = u8(src, ql + l + 32);
                    int hi = u8(src, qh + l);
                    s0 += (((lo & 0xF) | (hi & 3) << 4) - 32) * x[xi + l];
                    s1 += (((lo2 & 0xF) | ((hi >>> 2) & 3) << 4) - 32) * x[xi + l + 32];
                    s2 += (((lo >>> 4) | ((hi >>> 4) & 3) << 4) - 32) * x[xi + l + 64];
                    s3 += (((lo2 >>> 4) | ((hi >>> 6) & 3) << 4) - 32) * x[xi + l + 96];
                }
                sum += d * (i8(src, sc + g) * s0 + i8(src, sc + g + 2) * s1
                        + i8(src, sc + g + 4) * s2 + i8(src, sc + g + 6) * s3);
            }
        }
        return sum;
    }
}
