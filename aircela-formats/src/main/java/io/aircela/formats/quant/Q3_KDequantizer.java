package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

import static io.aircela.formats.quant.QuantBlocks.QK_K;
import static io.aircela.formats.quant.QuantBlocks.half;
import static io.aircela.formats.quant.QuantBlocks.u8;

/**
 * Q3_K: super-blocks of 256 weights in 16 sub-blocks of 16; 3-bit signed quants (low 2 bits in
 * {@code qs}, high bit in {@code hmask}) and a 6-bit signed scale per sub-block.
 * <pre>{@code
 * typedef struct {
 *     uint8_t   hmask[32];  // quants - high bit                              (offset 0)
 *     uint8_t   qs[64];     // quants - low 2 bits                            (offset 32)
 *     uint8_t   scales[12]; // 16 scales, 6 bits each, biased by 32           (offset 96)
 *     ggml_half d;          // super-block scale                              (offset 108)
 * } block_q3_K;             // 110 bytes
 * scale j: low 4 bits  = j < 8 ? scales[j] & 0xF : scales[j-8] >> 4
 *          high 2 bits = (scales[8 + j%4] >> 2*(j/4)) & 3;          sc_j = value - 32
 * weight 128h + 32k + l (l < 32): q = (qs[32h + l] >> 2k) & 3, minus 4 unless bit (4h+k) of hmask[l] is set;
 *          y = d * sc_(8h + 2k + (l >= 16)) * q
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_q3_K}. Stateless and thread-safe.
 */
public final class Q3_KDequantizer extends BlockDequantizer {
    private static final int QS = 32;
    private static final int SCALES = 96;
    private static final int D = 108;

    public Q3_KDequantizer() {
        super(QuantType.Q3_K);
    }

    /** Signed scale of sub-block {@code j} (0..15) of the block at {@code b}: -32..31. */
    private static int scale(MemorySegment src, long b, int j) {
        int lo = j < 8 ? u8(src, b + SCALES + j) & 0xF : u8(src, b + SCALES + j - 8) >>> 4;
        int hi = (u8(src, b + SCALES + 8 + (j & 3)) >>> (2 * (j >>> 2))) & 3;
        return (lo | hi << 4) - 32;
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float dAll = half(src, b + D);
        int is = 0;
        int m = 1;
        for (int n = 0; n < QK_K; n += 128) {
            long q = b + QS + n / 4;
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int half = 0; half < 32; half += 16) {
                    float dl = dAll * scale(src, b, is++);
                    for (int l = half; l < half + 16; l++) {
                        int v = ((u8(src, q + l) >>> shift) & 3) - ((u8(src, b + l) & m) != 0 ? 0 : 4);
                        dst[y++] = dl * v;
                    }
                }
            }
        }
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        float dAll = half(src, b + D);
        int is = 0;
        int m = 1;
        for (int n = 0; n < QK_K; n += 128) {
            long q = b + QS + n / 4;
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int half = 0; half < 32; half += 16) {
                    float s = 0f;
                    for (int l = half; l < half + 16; l++) {
                        int v = ((u8(src, q + l) >>> shift) & 3) - ((u8(src, b + l) & m) != 0 ? 0 : 4);
                        s += v * x[xi++];
                    }
                    sum += dAll * scale(src, b, is++) * s;
                }
            }
        }
        return sum;
    }
}
