package io.aircela.backend.cpu.internal;

import io.aircela.quant.Dequantizer;

import java.lang.foreign.MemorySegment;

/**
 * Any format with an installed {@link Dequantizer} but no fused kernel here: each weight row is
 * dequantized into the worker's scratch and dotted with the float activations. Slower than a fused
 * kernel, but it runs in place on the stored bytes (no F32 copy of the weight), so a new format works
 * on day one.
 */
public final class DequantizerKernel implements WeightKernel {
    private final Dequantizer dequantizer;

    public DequantizerKernel(Dequantizer dequantizer) {
        this.dequantizer = dequantizer;
    }

    @Override
    public Activations.Form form() {
        return Activations.Form.FLOAT;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        dequantizer.dequantize(w, rowOffset, tmp, 0, a.cols);
        return F32Kernel.dot(tmp, 0, a.x, xRow * a.cols, a.cols);
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        dequantizer.dequantize(w, rowOffset, dst, dstOffset, cols);
    }
}
