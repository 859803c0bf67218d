package io.aircela.formats.quant;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * F32: plain little-endian IEEE 754 single precision.
 * <pre>{@code float x; // 4 bytes per weight}</pre>
 * Exact: dequantizing returns the stored floats bit for bit. Stateless and thread-safe.
 */
public final class F32Dequantizer extends BlockDequantizer {
    static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public F32Dequantizer() {
        super(QuantType.F32);
    }

    /** One bulk copy rather than a call per weight. */
    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count) {
        check(src, srcOffset, dst, dstOffset, count);
        MemorySegment.copy(src, LAYOUT, srcOffset, dst, dstOffset, count);
    }

    /** The loop over single-weight blocks lives in this final class, so {@link #dotBlock} inlines. */
    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        check(src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < count; i++) sum = dotBlock(src, srcOffset + 4L * i, x, xOffset + i, sum);
        return sum;
    }

    /** Unused by {@link #dequantize} (a bulk copy); the one-weight form for completeness. */
    @Override
    void dequantizeBlock(MemorySegment src, long b, float[] dst, int y) {
        dst[y] = src.get(LAYOUT, b);
    }

    @Override
    float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum) {
        return sum + src.get(LAYOUT, b) * x[xi];
    }
}
