package io.aircela.engine.golden;

import io.aircela.compute.Probe;
import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.provider.Providers;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streaming on the OpenCL backend gives the same logits as resident on the OpenCL backend: streamed
 * layers are uploaded from the engine's slots (asynchronously, where the backend can), and a slot is
 * refilled only after the layer's device buffers are closed. Skipped where no OpenCL platform exists.
 */
class OpenClStreamingTest {
    private static final int POSITIONS = 6;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stories260k-once-upon-a-time.json", "synth-tiny-q4_0.json", "synth-tiny-q8_0.json",
            "synth-tiny-qwen2-q8_0.json", "synth-tiny-q6_k.json"})
    void streamedLogitsEqualResidentOnOpenCl(String file) throws IOException {
        var opencl = Providers.backends().stream().filter(p -> p.name().equals("opencl")).findFirst();
        Assumptions.assumeTrue(opencl.isPresent(), "the OpenCL backend is not on the class path; skipping");
        Probe probe = opencl.get().probe();
        Assumptions.assumeTrue(probe.isAvailable(), "no OpenCL device: " + probe.reason() + "; skipping");
        GoldenCase g = GoldenCase.load(file);
        int[] ids = Arrays.copyOf(g.allIds(), Math.min(POSITIONS, g.allIds().length));
        EngineOptions base = EngineOptions.defaults().withBackend("opencl").withThreads(2).withContextLength(64);
        float[][] resident;
        try (AirCela engine = AirCela.open(g.model(), base)) {
            resident = StreamingBitIdentityTest.scoreInSteps(engine, ids);
        }
        for (int depth : new int[]{0, 1, EngineOptions.AUTO_DEPTH}) {
            EngineOptions opts = base.withPrefetchDepth(depth);
            long minimum = StreamingBitIdentityTest.minimumBudget(g, opts);
            try (AirCela engine = AirCela.open(g.model(), opts.withMemoryBudget(minimum))) {
                assertTrue(engine.plan().streaming(), engine.plan().describe());
                float[][] streamed = StreamingBitIdentityTest.scoreInSteps(engine, ids);
                for (int i = 0; i < ids.length; i++)
                    assertArrayEquals(resident[i], streamed[i], file + " depth " + depth + " position " + i);
            }
        }
    }
}
