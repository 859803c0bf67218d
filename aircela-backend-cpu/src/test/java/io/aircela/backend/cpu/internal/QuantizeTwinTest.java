package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vector quantization of the activations (Q8_0, Q8_1, Q8_K) against its scalar twin, bit for bit: random rows at
 * many scales, exact rounding ties, signed zeros, all-zero blocks, subnormals whose inverse scale overflows, and
 * blocks with an infinity or a NaN (which the scalar loop handles, ggml's way).
 */
class QuantizeTwinTest {

    @ParameterizedTest
    @EnumSource(value = Activations.Form.class, names = {"Q8_0", "Q8_1", "Q8_K"})
    void vectorQuantizationIsTheScalarOne(Activations.Form form) {
        Assumptions.assumeTrue(VectorWidth.ENABLED && VectorWidth.FLOATS.length() >= 8, "no vector quantization here");
        int block = form == Activations.Form.Q8_K ? Activations.BLOCK_K : Activations.BLOCK;
        int cols = 4 * Activations.BLOCK_K, rows = 40;
        Random r = new Random(5 + form.ordinal());
        Activations vector = new Activations(), scalar = new Activations();
        vector.reserve(rows, cols);
        scalar.reserve(rows, cols);
        float[] x = vector.x;
        for (int t = 0; t < rows; t++) {
            float scale = (float) Math.pow(10, r.nextInt(13) - 6);
            for (int k = 0; k < cols; k++) x[t * cols + k] = (float) r.nextGaussian() * scale;
        }
        // ties: with amax = 127 the scale is 1, so x.5 values round half to even, and -0.4 rounds to -0.0
        for (int k = 0; k < block; k++) x[k] = k == 0 ? 127f : (k % 2 == 0 ? k / 2 + 0.5f : -(k / 2 + 0.5f));
        x[block + 1] = -0.4f;
        x[block] = 127f;
        for (int k = 2 * block; k < 3 * block; k++) x[k] = k % 2 == 0 ? 0f : -0f; // all zero
        for (int k = 3 * block; k < 4 * block; k++) x[k] = Float.MIN_VALUE * (k % 7 - 3); // subnormal: scale overflows
        x[4 * block + 3] = Float.POSITIVE_INFINITY;
        x[5 * block + 9] = Float.NaN;
        x[6 * block + 2] = -Float.MAX_VALUE;
        x[7 * block + 5] = -3f; // largest magnitude negative, and a later element of equal magnitude positive
        x[7 * block + 6] = 3f;
        for (int k = 7 * block; k < 8 * block; k++) if (k != 7 * block + 5 && k != 7 * block + 6) x[k] = r.nextFloat(-2, 2);
        System.arraycopy(x, 0, scalar.x, 0, rows * cols);
        for (int b = 0; b < rows * cols / block; b++) {
            if (form == Activations.Form.Q8_K) {
                vector.quantizeBlockK(b, true);
                scalar.quantizeBlockK(b, false);
            } else {
                vector.quantizeBlock(b, form == Activations.Form.Q8_1, true);
                scalar.quantizeBlock(b, form == Activations.Form.Q8_1, false);
            }
        }
        int n = rows * cols;
        for (int i = 0; i < n; i++)
            assertEquals(Float.floatToRawIntBits(scalar.q[i]), Float.floatToRawIntBits(vector.q[i]), "q[" + i + "]");
        assertArrayEquals(java.util.Arrays.copyOf(scalar.qb, n), java.util.Arrays.copyOf(vector.qb, n), "qb");
        assertArrayEquals(java.util.Arrays.copyOf(scalar.qs, n), java.util.Arrays.copyOf(vector.qs, n), "qs");
        int blocks = n / block;
        for (int b = 0; b < blocks; b++) {
            assertEquals(Float.floatToRawIntBits(scalar.d[b]), Float.floatToRawIntBits(vector.d[b]), "d[" + b + "]");
            assertEquals(Float.floatToRawIntBits(scalar.s[b]), Float.floatToRawIntBits(vector.s[b]), "s[" + b + "]");
            assertEquals(Float.floatToRawIntBits(scalar.sums[b]), Float.floatToRawIntBits(vector.sums[b]), "sums[" + b + "]");
        }
        assertArrayEquals(java.util.Arrays.copyOf(scalar.bsums, n / 16), java.util.Arrays.copyOf(vector.bsums, n / 16), "bsums");
    }
}
