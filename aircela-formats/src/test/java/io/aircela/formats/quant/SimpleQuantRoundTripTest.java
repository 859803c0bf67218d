package io.aircela.formats.quant;

import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.Fp16;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property tests for the simple formats: quantize with ggml's reference quantizer
 * ({@link ReferenceQuantizers}), dequantize with the implementation, and check each weight against the
 * bound that follows from the format, stated with the quantizer's float scale {@code d} and its half
 * rounding {@code d16} (and the same for the min {@code m}):
 * <pre>
 * Q8_0: |err| ≤ |d|/2 + 127|d - d16|             (round to nearest, |q| ≤ 127)
 * Q4_0: |err| ≤ |d|   +   8|d - d16|             (the far side clamps at +7: a whole step)
 * Q5_0: |err| ≤ |d|   +  16|d - d16|             (clamps at +15)
 * Q4_1: |err| ≤ d/2   +  15|d - d16| + |m - m16|
 * Q5_1: |err| ≤ d/2   +  31|d - d16| + |m - m16|
 * </pre>
 * plus a few float ulps of the weight for the quantizer's {@code x * (1/d)}. Data: normal and uniform
 * draws over many blocks read at odd offsets, and edge scales (zero, subnormal half, 65504, negative).
 */
class SimpleQuantRoundTripTest {

    record Format(String type, BiFunction<float[], Integer, ReferenceQuantizers.Block> quantizer, int steps,
                  double stepsForErr, boolean hasMin) {
    }

    private static Format format(String type) {
        return switch (type) {
            case "Q8_0" -> new Format(type, ReferenceQuantizers::q8_0, 127, 0.5, false);
            case "Q4_0" -> new Format(type, ReferenceQuantizers::q4_0, 8, 1.0, false);
            case "Q5_0" -> new Format(type, ReferenceQuantizers::q5_0, 16, 1.0, false);
            case "Q4_1" -> new Format(type, ReferenceQuantizers::q4_1, 15, 0.5, true);
            case "Q5_1" -> new Format(type, ReferenceQuantizers::q5_1, 31, 0.5, true);
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** Quantizes {@code x} block by block, dequantizes all blocks at once at odd offsets, checks every weight. */
    private static void roundTrip(String type, float[] x, String what) {
        Format f = format(type);
        Dequantizer d = Providers.dequantizer(type);
        int nb = x.length / 32;
        ReferenceQuantizers.Block[] blocks = new ReferenceQuantizers.Block[nb];
        byte[] bytes = new byte[7 + nb * d.bytesPerBlock()];
        for (int i = 0; i < nb; i++) {
            blocks[i] = f.quantizer().apply(x, 32 * i);
            System.arraycopy(blocks[i].bytes(), 0, bytes, 7 + i * d.bytesPerBlock(), d.bytesPerBlock());
        }
        float[] out = new float[3 + x.length];
        d.dequantize(MemorySegment.ofArray(bytes), 7, out, 3, x.length);
        for (int i = 0; i < nb; i++) {
            ReferenceQuantizers.Block b = blocks[i];
            double dq = b.d(), d16 = Fp16.toFloat(Fp16.fromFloat(b.d()));
            double mErr = f.hasMin() ? Math.abs(b.m() - Fp16.toFloat(Fp16.fromFloat(b.m()))) : 0;
            double bound = f.stepsForErr() * Math.abs(dq) + f.steps() * Math.abs(dq - d16) + mErr;
            for (int j = 32 * i; j < 32 * i + 32; j++) {
                double err = Math.abs((double) out[3 + j] - x[j]);
                double allowed = bound + 4 * Math.ulp(x[j]) + 1e-6 * Math.abs(dq);
                if (!(err <= allowed))
                    fail(type + " " + what + ": weight " + j + " = " + x[j] + " decoded to " + out[3 + j]
                            + ", error " + err + " > " + allowed + " (d " + dq + ", stored d " + d16 + ")");
            }
        }
        assertEquals(0f, out[0], 0f, "index before dstOffset written");
    }

    private static float[] normal(int n, double sigma, Random r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * sigma);
        return x;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void randomDataOverManyBlocksStaysWithinTheFormatsBound(String type) {
        Random r = new Random(11);
        roundTrip(type, normal(32 * 41, 0.05, r), "normal(0, 0.05)");
        roundTrip(type, normal(32 * 9, 3e3, r), "normal(0, 3000)");
        float[] u = new float[32 * 17];
        for (int i = 0; i < u.length; i++) u[i] = (float) (r.nextDouble() * 2 - 0.5); // skewed: exercises the min
        roundTrip(type, u, "uniform(-0.5, 1.5)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void allZeroBlockQuantizesToZeroScaleAndDecodesToZeros(String type) {
        ReferenceQuantizers.Block b = format(type).quantizer().apply(new float[32], 0);
        // ±0: Q4_0/Q5_0 compute d = 0 / -8 = -0.0, as ggml does
        assertEquals(0, (b.bytes()[0] & 0xFF) | (b.bytes()[1] & 0x7F), "d of an all-zero block");
        float[] out = new float[32];
        Providers.dequantizer(type).dequantize(MemorySegment.ofArray(b.bytes()), 0, out, 0, 32);
        for (float v : out) assertEquals(0f, v, 0f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void subnormalHalfScaleRoundTrips(String type) {
        Format f = format(type);
        // data sized so that d ≈ 2^-17, inside binary16's subnormal range [2^-24, 2^-14)
        float[] x = normal(32 * 4, 1, new Random(5));
        for (int i = 0; i < x.length; i += 32) scaleBlockTo(x, i, (float) (f.steps() * 0x1p-17));
        for (int i = 0; i < x.length; i += 32) {
            short h = Fp16.fromFloat(f.quantizer().apply(x, i).d());
            assertTrue((h & 0x7C00) == 0 && (h & 0x3FF) != 0, "d is a subnormal half: " + Integer.toHexString(h));
        }
        roundTrip(type, x, "subnormal scale");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void largestHalfScaleRoundTripsFinite(String type) {
        Format f = format(type);
        float[] x = normal(32, 1, new Random(6));
        if (f.hasMin()) {
            // range = 65504 * steps with min = -65504: d and m both at the half maximum
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (float v : x) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            for (int j = 0; j < 32; j++) x[j] = -65504f + (x[j] - lo) / (hi - lo) * 65504f * f.steps();
        } else {
            scaleBlockTo(x, 0, 65504f * f.steps());
        }
        short h = Fp16.fromFloat(f.quantizer().apply(x, 0).d());
        assertEquals(0x7BFF, h & 0x7FFF, "|d| is the largest finite half, 65504");
        roundTrip(type, x, "scale 65504");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q5_0"})
    void positiveExtremeGivesNegativeScale(String type) {
        float[] x = normal(32, 1, new Random(7));
        x[5] = 10f; // the largest magnitude is positive: ggml's d = max / -8 (or -16) is negative
        ReferenceQuantizers.Block b = format(type).quantizer().apply(x, 0);
        assertTrue(b.d() < 0 && (b.bytes()[1] & 0x80) != 0, "stored d is negative");
        roundTrip(type, x, "negative scale");
        float[] out = new float[32];
        Providers.dequantizer(type).dequantize(MemorySegment.ofArray(b.bytes()), 0, out, 0, 32);
        assertEquals(10f, out[5], 1e-2f, "the extreme itself is exact up to the half rounding of d");
    }

    @Test
    void pieceByPieceEqualsWholeRowAtEveryOffset() {
        for (String type : new String[] {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"}) {
            Dequantizer d = Providers.dequantizer(type);
            float[] x = normal(32 * 13, 0.1, new Random(8));
            byte[] bytes = new byte[13 * d.bytesPerBlock()];
            for (int i = 0; i < 13; i++)
                System.arraycopy(format(type).quantizer().apply(x, 32 * i).bytes(), 0, bytes, i * d.bytesPerBlock(),
                        d.bytesPerBlock());
            MemorySegment seg = MemorySegment.ofArray(bytes);
            float[] whole = new float[x.length];
            d.dequantize(seg, 0, whole, 0, x.length);
            float[] pieces = new float[x.length];
            for (int b0 = 0, len = 1; b0 < 13; b0 += len, len = len % 4 + 1) { // pieces of 1, 2, 3, 4 blocks
                int n = Math.min(len, 13 - b0);
                d.dequantize(seg, (long) b0 * d.bytesPerBlock(), pieces, 32 * b0, 32 * n);
            }
            assertTrue(Arrays.equals(whole, pieces), type + ": piecewise decoding differs from whole-row decoding");
        }
    }

    @Test
    void f16AndBf16RoundTripTheirOwnRounding() {
        Random r = new Random(9);
        Dequantizer h = Providers.dequantizer("F16"), b = Providers.dequantizer("BF16");
        float[] edge = {0f, -0f, 1f, 65504f, 65519f, 65520f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 6.1035156e-5f, 1e-40f,
                Float.MAX_VALUE, -Float.MIN_VALUE, Float.NEGATIVE_INFINITY};
        float[] x = new float[edge.length + 1000];
        System.arraycopy(edge, 0, x, 0, edge.length);
        for (int i = edge.length; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(12) - 6));
        byte[] hb = new byte[2 * x.length], bb = new byte[2 * x.length];
        for (int i = 0; i < x.length; i++) {
            short s = Fp16.fromFloat(x[i]), t = Fp16.floatToBf16(x[i]);
            hb[2 * i] = (byte) s;
            hb[2 * i + 1] = (byte) (s >> 8);
            bb[2 * i] = (byte) t;
            bb[2 * i + 1] = (byte) (t >> 8);
        }
        float[] ho = new float[x.length], bo = new float[x.length];
        h.dequantize(MemorySegment.ofArray(hb), 0, ho, 0, x.length);
        b.dequantize(MemorySegment.ofArray(bb), 0, bo, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(Fp16.toFloat(Fp16.fromFloat(x[i]))), Float.floatToRawIntBits(ho[i]), "F16 " + x[i]);
            assertEquals(Float.floatToRawIntBits(Fp16.bf16ToFloat(Fp16.floatToBf16(x[i]))), Float.floatToRawIntBits(bo[i]), "BF16 " + x[i]);
            if (Float.isFinite(ho[i])) assertTrue(Math.abs(ho[i] - x[i]) <= Math.max(Math.abs(x[i]) * 0x1p-11, 0x1p-25), "F16 error " + x[i]);
        }
        assertEquals(65504f, ho[3]);
        assertEquals(Float.POSITIVE_INFINITY, ho[5], "65520 rounds up to infinity in binary16");
        assertEquals(0x1p-24f, ho[6], "smallest subnormal half");
    }

    /** Rescales block {@code [o, o+32)} so that its largest |value| is {@code amax}. */
    private static void scaleBlockTo(float[] x, int o, float amax) {
        float m = 0;
        for (int j = o; j < o + 32; j++) m = Math.max(m, Math.abs(x[j]));
        for (int j = o; j < o + 32; j++) x[j] = x[j] / m * amax;
    }
}
