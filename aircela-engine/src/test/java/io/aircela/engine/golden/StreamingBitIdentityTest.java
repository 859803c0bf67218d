package io.aircela.engine.golden;

import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.streaming.BudgetTooSmallException;
import io.aircela.engine.streaming.StreamingPlan;
import io.aircela.engine.streaming.StreamingStats;
import io.aircela.provider.Providers;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Layer streaming must not change a single bit: on every golden model, the teacher-forced logits with
 * streamed layers (at the minimum budget, at a budget one byte short of everything resident, and with
 * everything resident under an explicit budget) and prefetch depths 0, 1, 3 and auto equal the fully
 * resident run's exactly. A few positions per case keep it quick; the tokens cover prefill (one pass
 * for the prompt) and single-position passes.
 *
 * <p>Runs twice: with the CPU backend's vector kernels (the default test run; their lane sums have a fixed
 * order, {@code VectorWidth.sum}, so JIT tiers do not change a bit) and with its scalar kernels
 * ({@code -Daircela.vector.bits=0}, the {@code streaming-bit-identity} execution in the engine's pom).
 */
class StreamingBitIdentityTest {
    private static final int POSITIONS = 6;

    static Stream<String> goldenFiles() throws IOException {
        return GoldenCase.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenFiles")
    void streamedLogitsAreBitIdenticalToResident(String file) throws IOException {
        Assumptions.assumeTrue(file.endsWith(".json"), "shared golden data absent; skipping");
        GoldenCase g = GoldenCase.load(file);
        Assumptions.assumeTrue(Providers.findDequantizer(weightType(g)).isPresent(), "plug-in absent; skipping " + file);
        int[] ids = Arrays.copyOf(g.allIds(), Math.min(POSITIONS, g.allIds().length));
        EngineOptions base = EngineOptions.defaults().withThreads(2).withContextLength(64);
        float[][] reference;
        try (AirCela engine = AirCela.open(g.model(), base)) {
            assertFalse(engine.plan().streaming(), "default budget on a tiny model: everything resident");
            reference = scoreInSteps(engine, ids);
        }
        for (int depth : new int[]{0, 1, 3, EngineOptions.AUTO_DEPTH}) {
            // depth 1 reads through the page cache, the others with O_DIRECT (one read per layer) where allowed
            EngineOptions opts = base.withPrefetchDepth(depth).withDirectIo(depth != 1);
            long everything = everything(g, opts); // O_DIRECT pads layers to blocks: each reader has its own
            long minimum = minimumBudget(g, opts);
            // deeper slots can cost more than keeping a one- or two-layer model whole: then it stays resident
            if (depth == 0) assertTrue(minimum < everything, file + ": streaming at depth " + depth + " must save memory");
            long some = Math.max(minimum, everything - 1);
            long[] budgets = depth == EngineOptions.AUTO_DEPTH ? new long[]{some} : new long[]{minimum, some, everything};
            for (long budget : budgets) {
                try (AirCela engine = AirCela.open(g.model(), opts.withMemoryBudget(budget))) {
                    StreamingPlan plan = engine.plan();
                    assertEquals(budget < everything, plan.streaming(), file + " budget " + budget + ": " + plan.describe());
                    float[][] streamed = scoreInSteps(engine, ids);
                    for (int i = 0; i < ids.length; i++)
                        assertArrayEquals(reference[i], streamed[i], file + " depth " + depth + " budget " + budget
                                + " position " + i + "\n" + plan.describe());
                    if (plan.streaming()) checkCounters(engine.streamingStats(), plan, file);
                    System.out.printf("STREAM %-40s depth=%2d budget=%9d resident=%2d streamed=%2d slots=%d direct=%b%n",
                            file, depth, budget, plan.residentLayers(), plan.streamedLayers(), plan.slots(), plan.directIo());
                }
            }
        }
    }

    /** The prompt as one prefill pass, then one pass per position, as a generation runs. */
    static float[][] scoreInSteps(AirCela engine, int[] ids) {
        float[][] out = new float[ids.length][];
        int prompt = Math.max(1, ids.length / 2);
        try (var session = engine.newSession()) {
            session.score(Arrays.copyOf(ids, prompt), (i, logits) -> out[i] = logits.clone());
            for (int p = prompt; p < ids.length; p++) {
                int at = p;
                session.score(new int[]{ids[p]}, (i, logits) -> out[at] = logits.clone());
            }
        }
        return out;
    }

    /** Every pass read each streamed stage once (plus what was prefetched for a pass that never ran). */
    private static void checkCounters(StreamingStats s, StreamingPlan plan, String file) {
        assertEquals(plan.streamedLayers(), s.streamedLayers());
        assertTrue(s.forwardPasses() > 0, file);
        long least = s.forwardPasses() * plan.bytesPerToken();
        long most = (s.forwardPasses() + (long) plan.slots() * 2) * plan.bytesPerToken();
        assertTrue(s.bytesRead() >= least && s.bytesRead() <= most, file + ": read " + s.bytesRead()
                + " bytes in " + s.forwardPasses() + " passes of " + plan.bytesPerToken());
    }

    /** The smallest budget that keeps everything resident with {@code opts}' reader. */
    private static long everything(GoldenCase g, EngineOptions opts) {
        try (AirCela engine = AirCela.open(g.model(), opts)) {
            assertFalse(engine.plan().streaming(), "default budget on a tiny model: everything resident");
            return engine.plan().minimumBudget();
        }
    }

    static long minimumBudget(GoldenCase g, EngineOptions opts) {
        BudgetTooSmallException e = assertThrows(BudgetTooSmallException.class,
                () -> AirCela.open(g.model(), opts.withMemoryBudget(1)).close());
        assertTrue(e.getMessage().contains(e.minimumBytes() + " bytes"), e.getMessage());
        try (AirCela engine = AirCela.open(g.model(), opts.withMemoryBudget(e.minimumBytes()))) {
            assertTrue(engine.plan().residentLayers() + engine.plan().streamedLayers() > 0);
        }
        assertThrows(BudgetTooSmallException.class,
                () -> AirCela.open(g.model(), opts.withMemoryBudget(e.minimumBytes() - 1)).close());
        return e.minimumBytes();
    }

    private static String weightType(GoldenCase g) {
        try (WeightSource s = Providers.open(g.model())) {
            return s.tensor("blk.0.attn_q.weight").map(TensorInfo::type).orElseThrow().name();
        }
    }
}
