package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The float vector kernels give the same bits on every call, whether the interpreter, C1 or C2 runs them:
 * {@code reduceLanes(ADD)} did not (its lane order changed once C2 compiled the caller), so a decode step
 * could differ in the last bit from the same step a few thousand tokens later. 20 000 calls are far past
 * C2's compile threshold; every result must equal the first (taken while the method was still interpreted).
 */
class ReductionDeterminismTest {
    private static final int COLS = 32 * 8;
    private static final int CALLS = 20_000;

    @Test
    void q4_0DotIsBitIdenticalAcrossJitTiers() {
        Random random = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = new byte[COLS / 32 * Q4_0Kernel.BLOCK_BYTES * 4];
            random.nextBytes(bytes);
            MemorySegment w = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, w, ValueLayout.JAVA_BYTE, 0, bytes.length);
            long rowBytes = COLS / 32 * Q4_0Kernel.BLOCK_BYTES;
            for (long b = 0; b < bytes.length / Q4_0Kernel.BLOCK_BYTES; b++)
                w.set(WeightKernel.F16, b * Q4_0Kernel.BLOCK_BYTES, Float.floatToFloat16(random.nextFloat(0.001f, 0.1f)));
            Activations a = new Activations();
            a.reserve(4, COLS);
            for (int i = 0; i < 4 * COLS; i++) a.x[i] = random.nextFloat(-3f, 3f);
            a.prepare(Activations.Form.Q8_0);
            float first = Q4_0Kernel.dotVector(w, rowBytes, a.q, a.qs, a.d, a.sums, 0, COLS, new float[Q4_0Kernel.TMP_FLOATS]);
            for (int i = 0; i < CALLS; i++) {
                float v = Q4_0Kernel.dotVector(w, rowBytes, a.q, a.qs, a.d, a.sums, 0, COLS, new float[Q4_0Kernel.TMP_FLOATS]);
                assertEquals(Float.floatToRawIntBits(first), Float.floatToRawIntBits(v), "call " + i);
            }
        }
    }

    @Test
    void f32DotAndLaneSumAreBitIdenticalAcrossJitTiers() {
        Random random = new Random(11);
        int cols = COLS + 5; // a scalar tail too
        float[] x = new float[cols];
        float[] y = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = random.nextFloat(-1f, 1f) * (float) Math.pow(10, random.nextInt(-3, 4));
            y[i] = random.nextFloat(-1f, 1f);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(4L * cols);
            MemorySegment.copy(x, 0, w, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, cols);
            float firstSeg = F32Kernel.dotVectorOrScalar(w, 0, y, cols);
            float firstArr = F32Kernel.dot(x, 0, y, 0, cols);
            for (int i = 0; i < CALLS; i++) {
                assertEquals(Float.floatToRawIntBits(firstSeg), Float.floatToRawIntBits(F32Kernel.dotVectorOrScalar(w, 0, y, cols)));
                assertEquals(Float.floatToRawIntBits(firstArr), Float.floatToRawIntBits(F32Kernel.dot(x, 0, y, 0, cols)));
            }
        }
    }

    @Test
    void laneSumIsTheHalvingTree() {
        if (!VectorWidth.ENABLED) return;
        int n = VectorWidth.FLOATS.length();
        float[] v = new float[n];
        Random random = new Random(3);
        for (int i = 0; i < n; i++) v[i] = random.nextFloat(-1f, 1f) * (float) Math.pow(10, random.nextInt(-4, 5));
        float[] t = v.clone();
        for (int half = n / 2; half >= 1; half /= 2) for (int j = 0; j < half; j++) t[j] += t[j + half];
        assertEquals(Float.floatToRawIntBits(t[0]), Float.floatToRawIntBits(VectorWidth.sum(FloatVector.fromArray(VectorWidth.FLOATS, v, 0))));
        if (n == 16) assertEquals(Float.floatToRawIntBits(GgmlMath.reduce16(v, 0)), Float.floatToRawIntBits(t[0]));
    }
}
