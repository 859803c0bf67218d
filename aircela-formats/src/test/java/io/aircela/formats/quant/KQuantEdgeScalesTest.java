package io.aircela.formats.quant;

import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.Fp16;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * K-quant blocks from random bytes with edge super-block scales (largest half, subnormal, negative,
 * zero min or zero scale), decoded by the implementation and by the per-weight {@link ReferenceDecoders},
 * which must agree bit for bit; plus what the edge itself implies (finite, sign symmetry, min-only output).
 */
class KQuantEdgeScalesTest {

    /** Offsets of d and dmin (-1: none) and the reference decoder. */
    private record K(int d, int dmin, Function<byte[], float[]> ref) {
    }

    private static K k(String type) {
        return switch (type) {
            case "Q2_K" -> new K(80, 82, ReferenceDecoders::q2_K);
            case "Q3_K" -> new K(108, -1, ReferenceDecoders::q3_K);
            case "Q4_K" -> new K(0, 2, ReferenceDecoders::q4_K);
            case "Q5_K" -> new K(0, 2, ReferenceDecoders::q5_K);
            case "Q6_K" -> new K(208, -1, ReferenceDecoders::q6_K);
            default -> throw new IllegalArgumentException(type);
        };
    }

    private static void putHalf(byte[] b, int off, short h) {
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    private static float[] decodeBoth(String type, byte[] block) {
        Dequantizer d = Providers.dequantizer(type);
        float[] ours = new float[256];
        d.dequantize(MemorySegment.ofArray(block), 0, ours, 0, 256);
        float[] ref = k(type).ref().apply(block);
        for (int i = 0; i < 256; i++)
            if (Float.floatToRawIntBits(ours[i]) != Float.floatToRawIntBits(ref[i]))
                fail(type + " weight " + i + ": " + ours[i] + " but the reference gives " + ref[i]);
        return ours;
    }

    private static byte[] block(String type, Random r, short d, short dmin) {
        byte[] b = new byte[Providers.dequantizer(type).bytesPerBlock()];
        r.nextBytes(b);
        putHalf(b, k(type).d(), d);
        if (k(type).dmin() >= 0) putHalf(b, k(type).dmin(), dmin);
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void largestAndSubnormalScalesStayFiniteAndAgree(String type) {
        Random r = new Random(21);
        for (int t = 0; t < 20; t++) {
            for (float v : decodeBoth(type, block(type, r, (short) 0x7BFF, (short) 0x7BFF)))
                assertTrue(Float.isFinite(v), type + " with d = dmin = 65504 decoded to " + v);
            boolean nonZero = false;
            for (float v : decodeBoth(type, block(type, r, (short) 0x0001, (short) 0x0003))) {
                assertTrue(Math.abs(v) < 1e-3f, type + " with subnormal scales decoded to " + v);
                nonZero |= v != 0;
            }
            assertTrue(nonZero, type + ": subnormal scales must not flush to zero");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void negatingTheScalesNegatesEveryWeight(String type) {
        Random r = new Random(22);
        for (int t = 0; t < 20; t++) {
            byte[] pos = block(type, r, Fp16.fromFloat(0.375f), Fp16.fromFloat(0.125f));
            byte[] neg = pos.clone();
            putHalf(neg, k(type).d(), Fp16.fromFloat(-0.375f));
            if (k(type).dmin() >= 0) putHalf(neg, k(type).dmin(), Fp16.fromFloat(-0.125f));
            float[] p = decodeBoth(type, pos), n = decodeBoth(type, neg);
            for (int i = 0; i < 256; i++) assertEquals(-p[i], n[i], 0f, type + " weight " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q4_K", "Q5_K"})
    void zeroScaleLeavesOnlyTheMinsAndZeroMinLeavesOnlyTheScales(String type) {
        Random r = new Random(23);
        int group = type.equals("Q2_K") ? 16 : 32;
        for (int t = 0; t < 20; t++) {
            // d = 0: every weight is -dmin * m of its sub-block, constant across the sub-block and ≤ 0
            float[] mins = decodeBoth(type, block(type, r, (short) 0, Fp16.fromFloat(0.5f)));
            for (int i = 0; i < 256; i++) {
                assertEquals(mins[i - i % group], mins[i], 0f, type + ": weight " + i + " differs within its sub-block");
                assertTrue(mins[i] <= 0, type + ": -dmin*m must be ≤ 0");
            }
            // dmin = 0: no weight is negative (quants and scales are unsigned)
            for (float v : decodeBoth(type, block(type, r, Fp16.fromFloat(0.5f), (short) 0)))
                assertTrue(v >= 0, type + " with dmin = 0 decoded to " + v);
        }
    }
}
