package io.aircela.formats.quant;

import io.aircela.formats.gguf.GgufWeightSource;
import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.Fp16;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The synthetic models {@code models/synth/tiny-<type>.gguf} hold the same float weights (normal x 0.05)
 * quantized to each type; every 2D weight, dequantized, must match the F32 file's within the format's
 * bound. Two measures per tensor, with {@code err = decoded - f32}:
 * <ul>
 * <li>{@code max |err| / amax(group)}: the worst weight, relative to the largest |weight| of its scale
 *     group (the weights that share one scale: 32 for the simple formats, 16 or 32 in the K-quants;
 *     for Q6_K the 256-weight super-block, whose scale bounds the rounding of the 8-bit sub-scales);
 * <li>{@code rms(err) / rms(f32)} over the whole tensor.
 * </ul>
 * Where the bounds come from ({@code u = 2^-11}, the relative rounding error of a half-precision scale;
 * {@code σ} the weights' standard deviation; a group of 32 normal draws has amax ≲ 3.5σ, range ≲ 5σ):
 * <pre>
 * type  group  max|err|/amax                                 rms(err)/rms(x)
 * Q8_0  32     (1/2 + 127u)/127 = 0.00443                    step/√12, step = amax/127 ≤ 3.5σ/127  -> 0.0080
 * Q4_0  32     (1 + 8u)/8 = 0.1255 (the one weight that      3.5σ/8/√12 = 0.126, x1.2 for the clamped
 *              clamps at +7 instead of +8 is off by a step)    weight                               -> 0.15
 * Q4_1  32     range/30 + (range + amax)u, range ≤ 2 amax     5σ/15/√12                            -> 0.096
 *              -> 2/30 + 3u = 0.0681
 * Q5_0  32     (1 + 16u)/16 = 0.0633                          3.5σ/16/√12 x1.2                      -> 0.076
 * Q5_1  32     2/62 + 3u = 0.0337                             5σ/31/√12                            -> 0.047
 * Q6_K  256    per weight: a step amax_g/32 of its 16-group    3.5σ/32/√12 x1.5 for the 8-bit
 *              (quants -32..31: the far side clamps at +31,    sub-scales                            -> 0.048
 *              as in Q4_0), plus |q| ≤ 32 times half the
 *              super-block's d = amax/(32·128) from rounding
 *              the 8-bit sub-scale: amax_g/32 + amax/256, so
 *              relative to the super-block amax 1/32 + 1/256
 *              (+ the fp16 d) -> 0.0355
 * Q5_K  32     5 bits over range ≤ 2 amax: step = 2/31,       5σ/31/√12 x1.5 (6-bit scale and min) -> 0.070
 *              half a step plus 6-bit scale/min rounding (a
 *              step at most) -> 1.5 x 2/31 = 0.097
 * Q4_K  32     as Q5_K with 15 levels: 1.5 x 2/15 = 0.2        5σ/15/√12 x1.5                        -> 0.145
 * Q3_K  16     symmetric 3 bits (-4..3): step amax/4, the     3.5σ/4/√12 x1.2                       -> 0.30
 *              far side clamps at +3: a step -> 0.25, with
 *              6-bit sub-scales x1.5 -> 0.375
 * Q2_K  16     2 bits over the range: step 2 amax/3; half a    5σ/3/√12 x1.2                        -> 0.58
 *              step, doubled for 4-bit scale and min -> 0.67
 * </pre>
 * F16 and BF16 must equal the F32 value's own rounding exactly ({@link Fp16#fromFloat}, {@link Fp16#floatToBf16}).
 */
class SyntheticModelAccuracyTest {

    /** Per-type bounds: scale-group size, max |err| / amax(group), rms(err) / rms(x). */
    record Bound(String type, int group, double maxPerAmax, double rmsPerRms) {
    }

    static final Map<String, Bound> BOUNDS = Map.of(
            "Q8_0", new Bound("Q8_0", 32, 0.00443, 0.0080),
            "Q4_0", new Bound("Q4_0", 32, 0.1255, 0.15),
            "Q4_1", new Bound("Q4_1", 32, 0.0681, 0.096),
            "Q5_0", new Bound("Q5_0", 32, 0.0633, 0.076),
            "Q5_1", new Bound("Q5_1", 32, 0.0337, 0.047),
            "Q6_K", new Bound("Q6_K", 256, 0.0355, 0.048),
            "Q5_K", new Bound("Q5_K", 32, 0.097, 0.070),
            "Q4_K", new Bound("Q4_K", 32, 0.2, 0.145),
            "Q3_K", new Bound("Q3_K", 16, 0.375, 0.30),
            "Q2_K", new Bound("Q2_K", 16, 0.67, 0.58));

    static Stream<String> quantTypes() {
        return Stream.of("Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K");
    }

    private static GgufWeightSource open(String type) {
        return GgufWeightSource.open(SharedTestData.require("models/synth/tiny-" + type.toLowerCase(Locale.ROOT) + ".gguf"));
    }

    private static float[] decode(GgufWeightSource s, TensorInfo t) {
        Dequantizer d = Providers.dequantizer(t.type().name());
        float[] out = new float[Math.toIntExact(t.elements())];
        MemorySegment view = s.view(t);
        long rowBytes = d.byteSize(t.cols());
        for (int r = 0; r < t.rows(); r++) // row by row: exercises srcOffset/dstOffset as an engine would
            d.dequantize(view, r * rowBytes, out, (int) (r * t.cols()), (int) t.cols());
        return out;
    }

    @ParameterizedTest
    @MethodSource("quantTypes")
    void quantizedWeightsMatchF32WithinTheFormatsBound(String type) {
        Bound bound = BOUNDS.get(type);
        int checked = 0;
        try (GgufWeightSource f32 = open("F32"); GgufWeightSource q = open(type)) {
            for (TensorInfo ref : f32.tensors()) {
                if (ref.rank() != 2) continue;
                TensorInfo t = q.tensor(ref.name()).orElseThrow(() -> new AssertionError(ref.name() + " missing"));
                assertEquals(type, t.type().name(), ref.name() + " stored as " + t.type());
                float[] want = decode(f32, ref);
                float[] got = decode(q, t);
                double worst = 0, se = 0, sx = 0;
                for (int g = 0; g < want.length; g += bound.group()) {
                    float amax = 0;
                    for (int j = g; j < g + bound.group(); j++) amax = Math.max(amax, Math.abs(want[j]));
                    for (int j = g; j < g + bound.group(); j++) {
                        double e = (double) got[j] - want[j];
                        if (amax > 0) worst = Math.max(worst, Math.abs(e) / amax);
                        else if (e != 0) fail(ref.name() + " weight " + j + ": an all-zero group decoded to " + got[j]);
                        se += e * e;
                        sx += (double) want[j] * want[j];
                    }
                }
                double rms = Math.sqrt(se / sx);
                System.out.printf(Locale.ROOT, "%s %-28s max|err|/amax %.5f (bound %.5f)  rms(err)/rms(x) %.5f (bound %.5f)%n",
                        type, ref.name(), worst, bound.maxPerAmax(), rms, bound.rmsPerRms());
                assertTrue(worst <= bound.maxPerAmax() * (1 + 1e-4), type + " " + ref.name() + ": max |err|/amax "
                        + worst + " exceeds " + bound.maxPerAmax());
                assertTrue(rms <= bound.rmsPerRms(), type + " " + ref.name() + ": rms(err)/rms(x) " + rms
                        + " exceeds " + bound.rmsPerRms());
                assertTrue(rms > 0, type + " " + ref.name() + ": identical to F32, the file is not quantized");
                checked++;
            }
        }
        assertEquals(16, checked, "2D weights checked"); // token_embd + 2 layers x 7 (no output.weight: tied)
    }

    @Test
    void f16AndBf16EqualTheF32ValuesRoundedExactly() {
        try (GgufWeightSource f32 = open("F32"); GgufWeightSource h = open("F16"); GgufWeightSource b = open("BF16")) {
            int checked = 0;
            for (TensorInfo ref : f32.tensors()) {
                if (ref.rank() != 2) continue;
                float[] want = decode(f32, ref);
                float[] half = decode(h, h.tensor(ref.name()).orElseThrow());
                float[] bf = decode(b, b.tensor(ref.name()).orElseThrow());
                for (int i = 0; i < want.length; i++) {
                    float wh = Fp16.toFloat(Fp16.fromFloat(want[i]));
                    float wb = Fp16.bf16ToFloat(Fp16.floatToBf16(want[i]));
                    if (Float.floatToRawIntBits(wh) != Float.floatToRawIntBits(half[i]))
                        fail("F16 " + ref.name() + "[" + i + "]: " + half[i] + ", want " + wh + " (from " + want[i] + ")");
                    if (Float.floatToRawIntBits(wb) != Float.floatToRawIntBits(bf[i]))
                        fail("BF16 " + ref.name() + "[" + i + "]: " + bf[i] + ", want " + wb + " (from " + want[i] + ")");
                }
                checked++;
            }
            assertEquals(16, checked);
        }
    }
}
