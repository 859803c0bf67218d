package io.aircela.engine.golden;

import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.quant.QuantType;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.TensorInfo;
import io.aircela.provider.Providers;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Teacher-forced golden test over every llama.cpp golden file: feed prompt + generated ids through
 * {@link AirCela#score} (the path the {@code score} command uses) and, at every position, compare our
 * logits for the golden's top-10 ids with llama.cpp's raw logits.
 *
 * <p>The KV cache is F16, llama.cpp's default, so that keys and values are rounded as the reference's are.
 * Tolerances are per weight type. llama.cpp quantizes activations (fp16 for F16 weights, Q8_0 for
 * Q4/Q5/Q8_0 weights, Q8_K for K-quants), so only F32 can match to float rounding. For the coarse types the
 * logits themselves are not compared; instead the argmax must agree wherever llama.cpp's top-1/top-2
 * margin exceeds twice the tolerance.
 */
class GoldenLogitsTest {

    static Stream<String> goldenFiles() throws IOException {
        return GoldenCase.names();
    }

    /**
     * Absolute logit tolerance for a model whose 2D weights are {@code type}. The CPU backend replicates
     * llama.cpp's activation rounding, so its bounds are tight. Other backends (the test-only reference
     * backend, OpenCL) compute attention and dots in plain float math, so their differences are the
     * reference's own rounding: looser bounds (F32: OpenCL measured 0.0235 on stories260k with an F16 cache,
     * whose fp16 rounding of q and of the attention probabilities it does not replicate).
     */
    static float tolerance(QuantType type, boolean exactFloatBackend) {
        if (exactFloatBackend) return switch (type) {
            case F32 -> 3e-2f;
            case F16 -> 5e-3f;
            case BF16 -> 2e-2f;
            case Q8_0 -> 4e-2f;
            case Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL -> 6e-2f;
            case Q4_K, Q5_K, Q6_K -> 8e-2f;
            default -> 0.25f;
        };
        // Measured max |logit diff| on the CPU backend, F16 cache, 2 threads (before -> after matching ggml's x86
        // arithmetic: fp16 attention probabilities, ggml_v_expf softmax/silu, x86 Q8 quantizer, ggml lane order):
        //   F32   stories260k 0.0230 -> 0.0092, synth 0.00087 -> 0.00014   (llama.cpp itself moves stories by
        //         0.0099 between batched and one-token decoding: its F32/F16 summation order differs by path)
        //   F16   0.0017 -> 0.0016      BF16  0.0129 -> 0.0124 (ggml rounds activations to bf16; not yet here)
        //   Q8_0  0.033  -> 0.0000005   Q4_1  0.042 -> 0.0000005   (bit-exact; 5e-7 is the golden's 7 digits)
        //   Q4_0  0.047  -> 0.017  (llama.cpp repacks Q4_0 as q4_0_8x8; its prompt GEMM is another order)
        //   Q5_0  0.043 -> 0.0000004   Q5_1  0.043 -> 0.0000004   (fused Q5 x Q8_0/Q8_1 kernels: bit-exact)
        //   Q4_K  0.056 -> 0.0000010   Q5_K  0.060 -> 0.0000010   (Q8_K activations; Q4_K in llama.cpp's repacked
        //         q4_K_8x8 gemv order, Q5_K in vec_dot_q5_K_q8_K's lane order: bit-exact)
        //   Q4_K  0.0000030 since its prompts run the CPU backend's float GEMM (decode stays bit-exact); the other
        //         bit-exact types keep integer prefill: with the GEMM their logits moved by 0.007-0.05, a last-bit
        //         change flipping later Q8 activation roundings
        //   Q6_K  0.069 -> 0.019 (every other position exact to 7e-7; at generated positions 9 and 17 the matmuls
        //         are bit-exact on llama.cpp's own dumped inputs, so the rest comes from a non-matmul op)
        //   Q2_K  0.057, Q3_K 0.062: still dequantized to float (llama.cpp: Q8_K activations; Q2_K repacked)
        return switch (type) {
            case F32 -> 1.5e-2f; // stories260k measured 0.0092..0.0099: F32 dots still reduce in JIT-dependent order
            case F16 -> 2e-3f;
            case BF16 -> 1.5e-2f;
            case Q8_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K -> 1e-4f;
            case Q4_0 -> 2e-2f;
            case IQ4_NL -> 6e-2f;
            case Q6_K -> 2.5e-2f; // measured 0.0186, from a non-matmul op (see above)
            default -> 0.25f; // Q2_K, Q3_K: coarse
        };
    }

    /** Types whose logits are compared only through the argmax. */
    static boolean coarse(QuantType type) {
        return type == QuantType.Q2_K || type == QuantType.Q3_K;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenFiles")
    void teacherForcedLogitsMatchLlamaCpp(String file) throws IOException {
        check(file, System.getProperty("aircela.test.backend", "cpu"));
    }

    /** The same cases on the OpenCL backend (PoCL's CPU device in CI); skipped where no OpenCL platform exists. */
    @ParameterizedTest(name = "opencl {0}")
    @MethodSource("goldenFiles")
    void teacherForcedLogitsMatchLlamaCppOnOpenCl(String file) throws IOException {
        var opencl = Providers.backends().stream().filter(p -> p.name().equals("opencl")).findFirst();
        Assumptions.assumeTrue(opencl.isPresent(), "the OpenCL backend is not on the class path; skipping");
        var probe = opencl.get().probe();
        Assumptions.assumeTrue(probe.isAvailable(), "no OpenCL device: " + probe.reason() + "; skipping");
        check(file, "opencl");
    }

    private static void check(String file, String backend) throws IOException {
        Assumptions.assumeTrue(file.endsWith(".json"), "shared golden data absent; skipping");
        GoldenCase g = GoldenCase.load(file);
        QuantType type = weightType(g);
        Assumptions.assumeTrue(Providers.findDequantizer(type.name()).isPresent(),
                type + " dequantizer plug-in is not on the class path; skipping " + file);
        String used;
        int[] ids = g.allIds();
        float[][] logits;
        try (AirCela engine = AirCela.open(g.model(), EngineOptions.defaults().withBackend(backend).withThreads(2).withKvType(QuantType.valueOf(System.getProperty("aircela.test.kv", "F16"))))) {
            logits = engine.score(ids);
            used = engine.backendName();
        }
        float tol = tolerance(type, !used.equals("cpu"));
        assertEquals(ids.length, logits.length);
        double maxDiff = 0;
        int argmaxChecked = 0;
        for (int i = 0; i < g.topIds().length; i++) {
            int[] top = g.topIds()[i];
            float[] ref = g.topLogits()[i];
            for (int j = 0; j < top.length; j++) maxDiff = Math.max(maxDiff, Math.abs(logits[i][top[j]] - ref[j]));
            if (ref[0] - ref[1] > 2 * tol) {
                argmaxChecked++;
                assertEquals(top[0], argmax(logits[i]), file + ": argmax differs at position " + i
                        + " although llama.cpp's top-1/top-2 margin is " + (ref[0] - ref[1]));
            }
        }
        System.out.printf(Locale.ROOT, "GOLDEN %-40s backend=%s type=%-6s positions=%3d maxAbsDiff=%.6f tol=%.4f argmaxChecked=%d%n",
                file, used, type, g.topIds().length, maxDiff, tol, argmaxChecked);
        if (!coarse(type))
            assertTrue(maxDiff <= tol, file + ": max abs logit difference " + maxDiff + " exceeds " + tol + " for " + type);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** The type of the model's first layer's attention query weight (the synth files store every 2D weight in one type). */
    static QuantType weightType(GoldenCase g) {
        try (WeightSource s = Providers.open(g.model())) {
            return s.tensor("blk.0.attn_q.weight").map(TensorInfo::type).orElseThrow();
        }
    }

    static {
        SharedTestData.root(); // fail early with a clear message if needed
    }
}
