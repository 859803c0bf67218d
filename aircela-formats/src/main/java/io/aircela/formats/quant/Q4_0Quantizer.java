package io.aircela.formats.quant;

import java.nio.ByteBuffer;

/**
 * Q4_0 quantization, bit for bit ggml's {@code quantize_row_q4_0_ref}: per block of 32 weights the one
 * with the largest magnitude, {@code max}, sets {@code d = max / -8} (so it maps to quant 0), and
 * {@code q = min(15, (int) (x / d + 8.5))}; stored as {@link Q4_0Dequantizer} reads it (half d, then
 * 16 bytes with quant {@code j} in the low and {@code j + 16} in the high nibble). Stateless, thread-safe.
 */
public final class Q4_0Quantizer {
    private static final int QK = 32;

    private Q4_0Quantizer() {
    }

    /**
     * Quantizes {@code x[from, from + n)} ({@code n} a multiple of 32) into {@code out} at its position,
     * which advances by {@code n / 32 * 18} bytes. {@code out} must be little-endian.
     */
    public static void quantizeRow(float[] x, int from, int n, ByteBuffer out) {
        if (n % QK != 0) throw new IllegalArgumentException("Q4_0 rows are whole blocks of 32, got " + n);
        for (int b = from; b < from + n; b += QK) {
            float amax = 0f, max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = x[b + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            out.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < QK / 2; j++) {
                int q0 = Math.min(15, (int) (x[b + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (x[b + j + QK / 2] * id + 8.5f));
                out.put((byte) (q0 | q1 << 4));
            }
        }
    }
}
