package io.aircela.engine.streaming;

import io.aircela.AirCelaException;
import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.Token;
import io.aircela.engine.sampling.SamplingOptions;
import io.aircela.provider.Providers;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streaming through the engine on stories260k (5 layers + tied F32 head): plan, counters, failures, threads. */
class StreamingEngineTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378};
    private static final int[] GREEDY_16 = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337};

    private static Path stories() {
        return SharedTestData.require("models/stories260k.gguf");
    }

    private static EngineOptions options() {
        return EngineOptions.defaults().withThreads(2).withContextLength(64);
    }

    private static long minimum(EngineOptions opts) {
        return assertThrows(BudgetTooSmallException.class,
                () -> AirCela.open(stories(), opts.withMemoryBudget(1)).close()).minimumBytes();
    }

    private static long everything() {
        try (AirCela engine = AirCela.open(stories(), options())) {
            return engine.plan().minimumBudget();
        }
    }

    private static List<Thread> prefetchThreads() {
        List<Thread> alive = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet())
            if (t.isAlive() && t.getName().startsWith("aircela-prefetch-")) alive.add(t);
        return alive;
    }

    @Test
    void planKeepsTheHeadFirstThenWholeLayersAndAutoDepthIsTwo() {
        try (AirCela engine = AirCela.open(stories(), options().withMemoryBudget(everything() - 1))) {
            StreamingPlan plan = engine.plan();
            assertTrue(plan.streaming(), plan.describe());
            assertTrue(plan.outputResident(), "the head is used every token: resident first\n" + plan.describe());
            int k = plan.residentStages().size() - 1; // k layers resident, spread over the 5, and the head (stage 5)
            assertTrue(k >= 1, plan.describe());
            List<Integer> resident = new ArrayList<>(StreamingPlanner.spread(List.of(5, 0, 1, 2, 3, 4), k + 1, 5));
            List<Integer> streamed = new ArrayList<>(List.of(0, 1, 2, 3, 4));
            streamed.removeAll(resident);
            resident.sort(null);
            assertEquals(resident, plan.residentStages(), plan.describe());
            assertEquals(streamed, plan.streamedStages(), plan.describe());
            assertEquals(2, plan.prefetchDepth());
            assertEquals(3, plan.slots());
            assertTrue(plan.fixedBytes() + plan.residentBytes() + plan.slots() * plan.slotBytes() <= plan.budgetBytes());
            assertTrue(plan.describe().contains("streamed " + streamed.size() + " layers ("), plan.describe());
            assertTrue(plan.describe().contains(") through 3 slots"), plan.describe());
        }
    }

    @Test
    void residentLayersAreSpreadEvenlySoEveryLoadOverlapsCompute() {
        List<Integer> order = new ArrayList<>(List.of(22));
        for (int i = 0; i < 22; i++) order.add(i);
        List<Integer> half = StreamingPlanner.spread(order, 12, 22); // the head and 11 of 22 layers
        List<Integer> expected = new ArrayList<>(List.of(22));
        for (int i = 1; i < 22; i += 2) expected.add(i);
        assertEquals(expected, half, "every other layer");
        assertEquals(List.of(22), StreamingPlanner.spread(order, 1, 22), "the head first");
        assertEquals(List.of(), StreamingPlanner.spread(order, 0, 22));
        assertEquals(order, StreamingPlanner.spread(order, 23, 22), "everything");
        assertEquals(List.of(7, 15, 23), StreamingPlanner.spread(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                15, 16, 17, 18, 19, 20, 21, 22, 23), 3, 24), "no head in the order (tied embeddings): layers only");
    }

    @Test
    void greedyTokensAndCountersUnderTheMinimumBudget() {
        EngineOptions opts = options().withPrefetchDepth(1);
        try (AirCela engine = AirCela.open(stories(), opts.withMemoryBudget(minimum(opts)))) {
            StreamingPlan plan = engine.plan();
            assertEquals(6, plan.streamedLayers(), plan.describe()); // 5 layers + the head
            StreamingStats before = engine.streamingStats();
            List<Integer> out = new ArrayList<>();
            try (Generation g = engine.generate(PROMPT, SamplingOptions.greedy(), 16, List.of())) {
                for (Token t : g) out.add(t.id());
            }
            assertArrayEquals(GREEDY_16, out.stream().mapToInt(Integer::intValue).toArray());
            StreamingStats run = engine.streamingStats().since(before);
            assertEquals(16, run.forwardPasses()); // prefill + 15 decode steps
            assertTrue(run.bytesRead() >= 16 * plan.bytesPerToken() && run.bytesRead() <= 18 * plan.bytesPerToken(),
                    run + " vs " + plan.bytesPerToken());
            assertTrue(Math.abs(run.bytesReadPerToken() - plan.bytesPerToken()) <= plan.bytesPerToken() / 8, run.toString());
            assertTrue(run.ioMillis() > 0 && run.computeMillis() > 0, run.toString());
            assertEquals(2, run.slots());
            assertEquals(1, run.prefetchDepth());
        }
        assertTrue(prefetchThreads().isEmpty(), "threads left: " + prefetchThreads());
    }

    @ParameterizedTest(name = "depth {0}")
    @ValueSource(ints = {0, 1, 3})
    void aLoaderFailureEndsTheGenerationQuicklyAndLeavesNoThread(int depth) {
        EngineOptions opts = options().withPrefetchDepth(depth).withDirectIo(false); // reads go through the source
        FailingSource source = new FailingSource(Providers.open(stories()));
        try (AirCela engine = AirCela.open(source, opts.withMemoryBudget(minimum(opts)))) {
            Generation g = engine.generate(PROMPT, SamplingOptions.greedy(), 32, List.of());
            Iterator<Token> it = g.iterator();
            assertTrue(it.hasNext());
            it.next();
            source.failing = true; // the file "shrinks" between planning and reading
            long t0 = System.nanoTime();
            AirCelaException e = assertThrows(AirCelaException.class, () -> {
                while (it.hasNext()) it.next();
            });
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(millis < 1000, "took " + millis + " ms");
            assertTrue(e.getMessage().contains("cannot load") && e.getMessage().contains("truncated"), e.getMessage());
            assertTrue(prefetchThreads().isEmpty(), "threads left after the failure: " + prefetchThreads());
            g.close();
            source.failing = false; // the next generation restarts the pipeline
            try (Generation again = engine.generate(PROMPT, SamplingOptions.greedy(), 4, List.of())) {
                int n = 0;
                for (Token t : again) assertEquals(GREEDY_16[n++], t.id());
                assertEquals(4, n);
            }
        }
        assertTrue(prefetchThreads().isEmpty(), "threads left after close: " + prefetchThreads());
    }

    @Test
    void aFileTruncatedUnderADirectReadEndsTheGenerationWithAClearError(@TempDir Path dir) throws IOException {
        Path copy = Files.copy(stories(), dir.resolve("stories.gguf"));
        long cut = halfWayIntoTheLastTensor(copy);
        EngineOptions opts = options().withPrefetchDepth(1).withDirectIo(true);
        try (AirCela engine = AirCela.open(copy, opts.withMemoryBudget(minimum(opts)))) {
            Assumptions.assumeTrue(engine.plan().directIo(), "O_DIRECT refused here: " + engine.plan().note());
            try (Generation g = engine.generate(PROMPT, SamplingOptions.greedy(), 32, List.of())) {
                Iterator<Token> it = g.iterator();
                it.next();
                try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                    ch.truncate(cut);
                }
                long t0 = System.nanoTime();
                AirCelaException e = assertThrows(AirCelaException.class, () -> {
                    while (it.hasNext()) it.next();
                });
                long millis = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(millis < 1000, "took " + millis + " ms");
                assertTrue(e.getMessage().contains("cannot load") && e.getMessage().contains("truncated"), e.getMessage());
            }
        }
        assertTrue(prefetchThreads().isEmpty(), "threads left after close: " + prefetchThreads());
    }

    /**
     * Half way into the file's last tensor, when that is a layer's or the output head's (streamed under the
     * minimum budget; anything mapped lies in front of it), else the test is skipped.
     */
    private static long halfWayIntoTheLastTensor(Path file) {
        try (WeightSource source = Providers.open(file)) {
            TensorInfo last = source.tensors().getFirst();
            for (TensorInfo t : source.tensors()) if (t.offset() > last.offset()) last = t;
            Assumptions.assumeTrue(last.layer() >= 0 || last.name().equals("output.weight"),
                    "the last tensor of " + file + " is " + last.name());
            return last.offset() + last.byteSize() / 2;
        }
    }

    @Test
    void cancellingAGenerationStopsThePipeline() {
        EngineOptions opts = options().withPrefetchDepth(3);
        try (AirCela engine = AirCela.open(stories(), opts.withMemoryBudget(minimum(opts)))) {
            Generation g = engine.generate(PROMPT, SamplingOptions.greedy(), 32, List.of());
            Iterator<Token> it = g.iterator();
            it.next();
            it.next();
            assertFalse(prefetchThreads().isEmpty(), "a streaming generation prefetches on its own threads");
            g.close();
            assertTrue(prefetchThreads().isEmpty(), "threads left after cancel: " + prefetchThreads());
        }
    }

    @Test
    void directIoReadsTheSameBytesOrSaysWhyNot() {
        EngineOptions opts = options().withPrefetchDepth(1).withDirectIo(true);
        try (AirCela engine = AirCela.open(stories(), opts.withMemoryBudget(minimum(opts)))) {
            StreamingPlan plan = engine.plan();
            assertTrue(plan.streaming());
            assertTrue(plan.directIo() || plan.note().contains("O_DIRECT"), plan.describe());
            List<Integer> out = new ArrayList<>();
            try (Generation g = engine.generate(PROMPT, SamplingOptions.greedy(), 16, List.of())) {
                for (Token t : g) out.add(t.id());
            }
            assertArrayEquals(GREEDY_16, out.stream().mapToInt(Integer::intValue).toArray(), plan.describe());
            System.out.println("DIRECT " + plan.describe());
        }
    }

    @Test
    void budgetErrorNamesTheMinimumBeforeAnyWork() {
        BudgetTooSmallException e = assertThrows(BudgetTooSmallException.class,
                () -> AirCela.open(stories(), options().withPrefetchDepth(2).withMemoryBudget(100_000)).close());
        assertTrue(e.getMessage().contains("needs at least") && e.getMessage().contains(e.minimumBytes() + " bytes")
                && e.getMessage().contains("x 3 slots"), e.getMessage());
        assertTrue(e instanceof io.aircela.ConfigurationException);
        assertTrue(prefetchThreads().isEmpty());
    }
}
