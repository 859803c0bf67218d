package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** F32 weights: {@code float w; // 4 bytes, little-endian}. Plain float dot, as ggml's F32 x F32. */
public final class F32Kernel implements WeightKernel {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;

    @Override
    public Activations.Form form() {
        return Activations.Form.FLOAT;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.x, xo, a.cols) : dotScalar(w, rowOffset, a.x, xo, a.cols);
    }

    /** Scalar twin. */
    public static float dotScalar(MemorySegment w, long off, float[] x, int xo, int cols) {
        float sum = 0f;
        for (int i = 0; i < cols; i++) sum += w.get(F32, off + 4L * i) * x[xo + i];
        return sum;
    }

    /** Vector kernel: lane-wise FMA, one fixed-order reduction at the end, scalar tail. */
    public static float dotVector(MemorySegment w, long off, float[] x, int xo, int cols) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(cols); i < upper; i += S.length()) {
            FloatVector wv = FloatVector.fromMemorySegment(S, w, off + 4L * i, ByteOrder.LITTLE_ENDIAN);
            acc = wv.fma(FloatVector.fromArray(S, x, xo + i), acc);
        }
        int n = S.length(); // VectorWidth.sum, written inline (see there why)
        if (n >= 16) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_8));
        if (n >= 8) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_4));
        if (n >= 4) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_2));
        if (n >= 2) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_1));
        float sum = acc.lane(0);
        for (; i < cols; i++) sum += w.get(F32, off + 4L * i) * x[xo + i];
        return sum;
    }

    /** Dot of {@code count} floats at byte {@code off} of {@code w} with {@code x[0..count)}, as configured. */
    public static float dotVectorOrScalar(MemorySegment w, long off, float[] x, int count) {
        return VectorWidth.ENABLED ? dotVector(w, off, x, 0, count) : dotScalar(w, off, x, 0, count);
    }

    /** Float dot of two float arrays (dequantized rows, attention), vector or scalar as configured. */
    public static float dot(float[] a, int ao, float[] b, int bo, int count) {
        int i = 0;
        float sum = 0f;
        if (VectorWidth.ENABLED) {
            FloatVector acc = FloatVector.zero(S);
            for (int upper = S.loopBound(count); i < upper; i += S.length())
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            int n = S.length(); // VectorWidth.sum, written inline (see there why)
            if (n >= 16) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_8));
            if (n >= 8) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_4));
            if (n >= 4) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_2));
            if (n >= 2) acc = acc.add(acc.rearrange(VectorWidth.ROTATE_1));
            sum = acc.lane(0);
        }
        for (; i < count; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        MemorySegment.copy(w, F32, rowOffset, dst, dstOffset, cols);
    }
}
