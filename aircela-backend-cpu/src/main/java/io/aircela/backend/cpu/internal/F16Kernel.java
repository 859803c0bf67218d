package io.aircela.backend.cpu.internal;

import java.lang.foreign.MemorySegment;

/**
 * F16 weights: {@code ggml_fp16_t w; // 2 bytes, IEEE binary16, little-endian}. Like ggml, the
 * activations are rounded to fp16 first ({@link Activations.Form#HALF}); products accumulate in float.
 */
public final class F16Kernel implements WeightKernel {

    @Override
    public Activations.Form form() {
        return Activations.Form.HALF;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.q, xo, a.cols, tmp)
                : dotScalar(w, rowOffset, a.q, xo, a.cols);
    }

    /** Scalar twin. */
    public static float dotScalar(MemorySegment w, long off, float[] xh, int xo, int cols) {
        float sum = 0f;
        for (int i = 0; i < cols; i++) sum += Float.float16ToFloat(w.get(F16, off + 2L * i)) * xh[xo + i];
        return sum;
    }

    /**
     * Vector kernel. The Vector API has no fp16 lane conversion, so the row is widened into the worker's
     * scratch (Float.float16ToFloat is an intrinsic) and then dotted with vector FMAs.
     */
    public static float dotVector(MemorySegment w, long off, float[] xh, int xo, int cols, float[] tmp) {
        for (int i = 0; i < cols; i++) tmp[i] = Float.float16ToFloat(w.get(F16, off + 2L * i));
        return F32Kernel.dot(tmp, 0, xh, xo, cols);
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int i = 0; i < cols; i++) dst[dstOffset + i] = Float.float16ToFloat(w.get(F16, rowOffset + 2L * i));
    }
}
