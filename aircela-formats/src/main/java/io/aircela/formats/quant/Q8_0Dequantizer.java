package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

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
public final class Q8_0Dequantizer extends BlockDequantizer {
    private static final int QK = 32;

    public Q8_0Dequantizer() {
        super(QuantType.Q8_0);
    }

    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        float d = half(src, b);
        for (int j = 0; j < QK; j++) dst[y + j] = i8(src, b + 2 + j) * d;
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        // sum(q*x) first, scale once per block: 32 fewer multiplications
        float s = 0f;
        for (int j = 0; j < QK; j++) s += i8(src, b + 2 + j) * x[xi + j];
        return sum + s * half(src, b);
    }
}
