package io.aircela.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.function.Executable;

/** Order, bounds, wrap-around, depth 0 and counters. Deterministic: latches, no sleeps. */
class PrefetchPipelineTest {
    static final Duration HANG = Duration.ofSeconds(10);

    static void noHang(Executable body) {
        assertTimeoutPreemptively(HANG, body);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 5})
    void handsOutStagesStrictlyInCycleOrderAcrossCycles(int depth) {
        int[] cycle = {2, 5, 6, 9}; // a streamed subset: resident stages are simply not in the cycle
        FakeLoader loader = new FakeLoader();
        noHang(() -> {
            try (PrefetchPipeline<FakeLoader.Loaded> pipeline = PrefetchPipeline.start(cycle, depth, loader)) {
                for (int k = 0; k < 5 * cycle.length; k++) {
                    try (StageHandle<FakeLoader.Loaded> h = pipeline.acquire()) {
                        assertEquals(cycle[k % cycle.length], h.stage(), "stage at position " + k);
                        assertEquals(k, h.position());
                        assertEquals(k % (depth + 1), h.slot());
                        // Loads in flight may start in any order, so serial is not checked here.
                        assertEquals(h.stage(), h.value().stage());
                        assertEquals(h.slot(), h.value().slot());
                    }
                }
            }
        });
        loader.assertAllReleased();
        if (depth > 0) {
            loader.assertLoaderThreadsGone();
        }
        assertTrue(loader.maxLiveSlots.get() <= depth + 1, "live slots " + loader.maxLiveSlots);
    }

    @RepeatedTest(10)
    void staysInOrderAndBoundedForEveryDepthAndShortCycle() {
        for (int depth = 1; depth <= 4; depth++) {
            for (int length = 1; length <= 3; length++) {
                int[] cycle = java.util.stream.IntStream.range(0, length).toArray();
                FakeLoader loader = new FakeLoader();
                int n = depth;
                noHang(() -> {
                    try (var pipeline = PrefetchPipeline.start(cycle, n, loader)) {
                        for (int k = 0; k < 30; k++) {
                            try (var h = pipeline.acquire()) {
                                assertEquals(k % cycle.length, h.value().stage());
                            }
                        }
                    }
                });
                assertTrue(loader.maxLiveSlots.get() <= depth + 1);
                assertTrue(loader.maxConcurrent.get() <= depth);
                loader.assertAllReleased();
            }
        }
    }

    @Test
    void keepsExactlyDepthLoadsInFlightAndDepthPlusOneSlots() {
        int depth = 3;
        Semaphore entered = new Semaphore(0);
        Semaphore proceed = new Semaphore(0);
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> {
            entered.release();
            proceed.acquire();
        });
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {0, 1, 2, 3, 4}, depth, loader)) {
                entered.acquire(depth); // positions 0..2 are all loading at once
                assertEquals(depth, loader.concurrent.get());
                proceed.release(1000);
                StageHandle<FakeLoader.Loaded> held = pipeline.acquire();
                entered.acquire(1); // position 3 took the last free slot
                assertEquals(depth + 1, loader.liveSlots.get(), "held + loaded ahead");
                held.close(); // frees slot 0 for position 4
                for (int k = 1; k < 20; k++) {
                    try (var h = pipeline.acquire()) {
                        assertEquals(k % 5, h.stage());
                    }
                }
            }
        });
        assertEquals(depth, loader.maxConcurrent.get(), "most loads in flight at once");
        assertEquals(depth + 1, loader.maxLiveSlots.get(), "most slots alive at once");
        assertEquals(depth, loader.threadNames.size(), "one thread per load in flight");
        loader.assertAllReleased();
        loader.assertLoaderThreadsGone();
    }

    @Test
    void oneLoaderThreadLoadsInOrderAndStillRunsDepthStagesAhead() {
        int depth = 3;
        Semaphore entered = new Semaphore(0);
        Semaphore proceed = new Semaphore(0);
        List<Integer> order = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> {
            order.add(stage);
            entered.release();
            proceed.acquire();
        });
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {0, 1, 2, 3, 4}, depth, 1, loader)) {
                entered.acquire(1);
                assertEquals(1, loader.concurrent.get(), "one load at a time");
                proceed.release(depth - 1);
                entered.acquire(depth - 1); // positions 0, 1 done, 2 loading: it runs ahead without the consumer
                assertEquals(List.of(0, 1, 2), order);
                proceed.release(1000);
                for (int k = 0; k < 20; k++) {
                    try (var h = pipeline.acquire()) {
                        assertEquals(k % 5, h.stage());
                    }
                }
            }
        });
        assertEquals(1, loader.maxConcurrent.get(), "never two loads at once");
        assertTrue(loader.maxLiveSlots.get() <= depth + 1);
        assertEquals(1, loader.threadNames.size(), "one loader thread");
        for (int k = 1; k < order.size(); k++) assertEquals((order.get(k - 1) + 1) % 5, order.get(k), "loads in cycle order");
        loader.assertAllReleased();
        loader.assertLoaderThreadsGone();
    }

    @Test
    void loadsTheNextCyclesFirstStageWhileTheLastStageIsHeld() {
        CountDownLatch nextCycleStage0 = new CountDownLatch(1);
        AtomicInteger itsSlot = new AtomicInteger(-1);
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> {
            if (stage == 0 && serial == 1) {
                itsSlot.set(slot);
                nextCycleStage0.countDown();
            }
        });
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {0, 1, 2}, 2, loader)) {
                pipeline.acquire().close();
                pipeline.acquire().close();
                try (var last = pipeline.acquire()) {
                    assertEquals(2, last.stage());
                    nextCycleStage0.await(); // returns only if stage 0 loads while stage 2 is held
                    assertEquals(0, itsSlot.get(), "position 3 goes into slot 3 % 3");
                    assertEquals(2, last.value().stage());
                }
                try (var next = pipeline.acquire()) {
                    assertEquals(0, next.stage());
                    assertEquals(3, next.position());
                    assertEquals(1, next.value().serial(), "the second load of stage 0");
                }
            }
        });
        loader.assertAllReleased();
    }

    @Test
    void depthZeroLoadsOnTheConsumerThreadOnlyWhenAcquired() {
        FakeLoader loader = new FakeLoader();
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {0, 1, 2}, 0, loader)) {
                for (int k = 0; k < 9; k++) {
                    assertEquals(k, loader.loadCount.get(), "nothing loads ahead");
                    try (var h = pipeline.acquire()) {
                        assertEquals(k + 1, loader.loadCount.get());
                        assertEquals(k % 3, h.stage());
                        assertEquals(0, h.slot());
                        var e = assertThrows(IllegalStateException.class, pipeline::acquire);
                        assertTrue(e.getMessage().contains("close that handle first"), e.getMessage());
                    }
                    assertEquals(k + 1, loader.releases.get(), "freed before the next load");
                }
                assertEquals(Thread.currentThread().getName(), String.join("", loader.threadNames));
                pipeline.counters().stages().forEach(s -> assertEquals(0, s.slotWaitNanos()));
            }
        });
        assertEquals(1, loader.maxLiveSlots.get());
        loader.assertAllReleased();
    }

    @Test
    void refusesToWaitForASlotTheConsumerItselfHolds() {
        FakeLoader loader = new FakeLoader();
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {0, 1, 2}, 1, loader)) {
                var first = pipeline.acquire();
                var second = pipeline.acquire(); // two slots, both held now
                assertThrows(IllegalStateException.class, pipeline::acquire);
                first.close();
                first.close(); // harmless
                assertThrows(IllegalStateException.class, first::value);
                try (var third = pipeline.acquire()) {
                    assertEquals(2, third.stage());
                }
                second.close();
            }
        });
        loader.assertAllReleased();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void countersAddUpToWhatTheLoaderDid(int depth) {
        int[] cycle = {3, 1, 4};
        FakeLoader loader = new FakeLoader();
        var pipeline = PrefetchPipeline.start(cycle, depth, loader);
        noHang(() -> {
            for (int k = 0; k < 4 * cycle.length; k++) {
                pipeline.acquire().close();
            }
            pipeline.close();
        });
        PrefetchCounters c = pipeline.counters();
        assertEquals(List.of(3, 1, 4), c.stages().stream().map(StageCounters::stage).toList());
        long bytes = 0, loads = 0, consumerWait = 0, slotWait = 0;
        for (StageCounters s : c.stages()) {
            assertEquals(loader.loads(s.stage()), s.loads(), "loads of stage " + s.stage());
            assertEquals(loader.bytes(s.stage()), s.bytesLoaded(), "bytes of stage " + s.stage());
            assertEquals(s.loads() * FakeLoader.bytesOf(s.stage()), s.bytesLoaded());
            assertTrue(depth == 0 ? s.loads() == 4 : s.loads() >= 4, s.toString());
            assertTrue(s.consumerWaitNanos() >= 0 && s.slotWaitNanos() >= 0, s.toString());
            bytes += s.bytesLoaded();
            loads += s.loads();
            consumerWait += s.consumerWaitNanos();
            slotWait += s.slotWaitNanos();
        }
        assertEquals(loader.loadCount.get(), c.loads());
        assertEquals(new PrefetchCounters(loads, bytes, consumerWait, slotWait, c.stages()), c);
        long consumed = 4 * (FakeLoader.bytesOf(3) + FakeLoader.bytesOf(1) + FakeLoader.bytesOf(4));
        assertTrue(depth == 0 ? c.bytesLoaded() == consumed : c.bytesLoaded() >= consumed);
        loader.assertAllReleased();
    }

    @Test
    void rejectsBadArguments() {
        FakeLoader loader = new FakeLoader();
        assertThrows(IllegalArgumentException.class, () -> PrefetchPipeline.start(new int[0], 1, loader));
        assertThrows(IllegalArgumentException.class, () -> PrefetchPipeline.start(new int[] {1, 1}, 1, loader));
        assertThrows(IllegalArgumentException.class, () -> PrefetchPipeline.start(new int[] {-1}, 1, loader));
        assertThrows(IllegalArgumentException.class, () -> PrefetchPipeline.start(new int[] {0}, -1, loader));
        assertThrows(IllegalArgumentException.class, () -> PrefetchPipeline.start(new int[] {0}, 2, 0, loader));
        assertEquals(0, loader.loadCount.get());
    }
}
