package io.aircela.bench;

import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmarks' weights decode to finite, model-sized values in every format they name. */
class SyntheticWeightsTest {

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL"})
    void decodesToFiniteSmallWeights(String name) {
        QuantType type = QuantType.valueOf(name);
        int count = 2 * 256;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = SyntheticWeights.of(type, count, 1, arena);
            assertEquals(type.byteSize(count), s.byteSize());
            float[] w = new float[count];
            Providers.dequantizer(name).dequantize(s, 0, w, 0, count);
            double sumAbs = 0;
            for (float v : w) {
                assertTrue(Float.isFinite(v) && Math.abs(v) < 1f, name + " weight " + v);
                sumAbs += Math.abs(v);
            }
            assertTrue(sumAbs > 0, name + " weights are all zero");
        }
    }

    @Test
    void sameSeedSameBytes() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] a = SyntheticWeights.of(QuantType.Q4_K, 256, 5, arena).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            byte[] b = SyntheticWeights.of(QuantType.Q4_K, 256, 5, arena).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertArrayEquals(a, b);
        }
    }

    @Test
    void rejectsFormatsItCannotFill() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> SyntheticWeights.of(QuantType.IQ2_XXS, 256, 1, arena));
        }
    }
}
