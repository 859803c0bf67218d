package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * F32: plain little-endian IEEE 754 single precision.
 * <pre>{@code float x; // 4 bytes per weight}</pre>
 * Exact: dequantizing returns the stored floats bit for bit. Stateless and thread-safe.
 */
public final class F32Dequantizer implements Dequantizer, DequantizerProvider {
    static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String typeName() {
        return "F32";
    }

    @Override
    public Dequantizer create() {
        return this;
    }

    @Override
    public int blockSize() {
        return 1;
    }

    @Override
    public int bytesPerBlock() {
        return 4;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count) {
        QuantBlocks.check(this, src, srcOffset, dst, dstOffset, count);
        MemorySegment.copy(src, LAYOUT, srcOffset, dst, dstOffset, count);
    }

    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        QuantBlocks.check(this, src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < count; i++) sum += src.get(LAYOUT, srcOffset + 4L * i) * x[xOffset + i];
        return sum;
    }
}
