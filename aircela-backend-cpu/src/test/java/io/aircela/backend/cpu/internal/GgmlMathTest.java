package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgmlMathTest {

    @Test
    void simdExpIsWithinTwoUlpsOfExpAndSaturatesLikeGgml() {
        for (float x = -87f; x < 88f; x += 0.01337f) {
            float exact = (float) Math.exp(x);
            assertTrue(Math.abs(GgmlMath.expf(x) - exact) <= 2 * Math.ulp(exact), "expf(" + x + ")");
        }
        assertEquals(1f, GgmlMath.expf(0f));
        assertEquals(0f, GgmlMath.expf(Float.NEGATIVE_INFINITY), "masked attention cells give exactly 0");
        assertEquals(Float.POSITIVE_INFINITY, GgmlMath.expf(200f));
        assertEquals(0.5f / (1f + GgmlMath.expf(-0.5f)), GgmlMath.silu(0.5f));
    }

    @Test
    void reductionsUseTheIntrinsicsTree() {
        // 1 + 2^-24 + 2^-24 ...: a sequential sum loses every small term; a tree keeps pairs of them.
        float[] v = new float[16];
        java.util.Arrays.fill(v, 0x1p-24f);
        v[0] = 1f;
        float tree16 = GgmlMath.reduce16(v, 0);
        float sequential = 0;
        for (float f : v) sequential += f;
        assertEquals(1f, sequential);
        assertEquals(1f + 14 * 0x1p-24f, tree16, "lanes 8..15 and 1..7 pair up before meeting lane 0");
        float[] w = {1f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f};
        assertEquals(1f + 6 * 0x1p-24f, GgmlMath.reduce8(w, 0), "((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7))");
    }
}
