package io.aircela.quant.iq4nl;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.Fp16;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * IQ4_NL: blocks of 32 weights, one half-precision scale and 4-bit indices into a fixed non-linear
 * table of 16 levels (denser near zero, where most weights are).
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;          // scale                          (offset 0)
 *     uint8_t   qs[16];     // 4-bit indices (nibbles)         (offset 2)
 * } block_iq4_nl;           // 18 bytes
 * y[j]    = d * kvalues_iq4nl[qs[j] & 0xF]     j < 16
 * y[j+16] = d * kvalues_iq4nl[qs[j] >> 4]
 * kvalues_iq4nl = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}
 * }</pre>
 * Bit-exact with ggml's {@code dequantize_row_iq4_nl}. Stateless and thread-safe.
 */
public final class IQ4_NLDequantizer implements Dequantizer {
    private static final int QK = 32;
    private static final int BYTES = 18;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    @Override
    public String typeName() {
        return "IQ4_NL";
    }

    @Override
    public int blockSize() {
        return QK;
    }

    @Override
    public int bytesPerBlock() {
        return BYTES;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count) {
        int nb = check(src, srcOffset, dst, dstOffset, count);
        for (int i = 0; i < nb; i++) {
            long b = srcOffset + (long) i * BYTES;
            float d = Fp16.toFloat(src.get(HALF, b));
            int y = dstOffset + i * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, b + 2 + j) & 0xFF;
                dst[y + j] = d * KVALUES[q & 0xF];
                dst[y + j + QK / 2] = d * KVALUES[q >>> 4];
            }
        }
    }

    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        int nb = check(src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < nb; i++) {
            long b = srcOffset + (long) i * BYTES;
            int xi = xOffset + i * QK;
            float s = 0f;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, b + 2 + j) & 0xFF;
                s += KVALUES[q & 0xF] * x[xi + j] + KVALUES[q >>> 4] * x[xi + j + QK / 2];
            }
            sum += Fp16.toFloat(src.get(HALF, b)) * s;
        }
        return sum;
    }

    /** Validates the call before anything is written; returns the number of blocks. */
    private int check(MemorySegment src, long srcOffset, float[] array, int offset, int count) {
        if (count < 0 || count % QK != 0)
            throw new IllegalArgumentException("IQ4_NL: count " + count + " is not a non-negative multiple of " + QK);
        Objects.checkFromIndexSize(offset, count, array.length);
        Objects.checkFromIndexSize(srcOffset, (long) (count / QK) * BYTES, src.byteSize());
        return count / QK;
    }
}
