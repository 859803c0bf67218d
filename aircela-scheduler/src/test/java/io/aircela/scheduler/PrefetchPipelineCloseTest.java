package io.aircela.scheduler;

import static io.aircela.scheduler.PrefetchPipelineTest.noHang;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Loader failures, closing mid-load, closing under a blocked consumer. Deterministic. */
class PrefetchPipelineCloseTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void aFailedLoadReachesTheConsumerAtItsStageAndFailsThePipeline(int depth) {
        IOException diskGone = new IOException("disk gone");
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> {
            if (stage == 7) {
                throw diskGone;
            }
        });
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {4, 5, 7, 8}, depth, loader)) {
                try (var h = pipeline.acquire()) {
                    assertEquals(4, h.stage());
                }
                try (var h = pipeline.acquire()) {
                    assertEquals(5, h.stage());
                }
                var failed = assertThrows(PrefetchException.class, pipeline::acquire);
                assertEquals(7, failed.stage());
                assertSame(diskGone, failed.getCause());
                assertTrue(failed.getMessage().contains("stage 7"), failed.getMessage());
                // Failed for good: never hands out stage 8 as if stage 7 had run.
                var again = assertThrows(PrefetchException.class, pipeline::acquire);
                assertSame(diskGone, again.getCause());
                assertTrue(again.getMessage().contains("failed earlier"), again.getMessage());
            }
        });
        assertFalse(loader.loadsPerStage.containsKey(7));
        loader.assertAllReleased();
        if (depth > 0) {
            loader.assertLoaderThreadsGone();
        }
    }

    @Test
    void anErrorInTheLoaderIsDeliveredNotLost() {
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> {
            throw new OutOfMemoryError("no room for stage " + stage);
        });
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {0, 1}, 1, loader)) {
                var failed = assertThrows(PrefetchException.class, pipeline::acquire);
                assertInstanceOf(OutOfMemoryError.class, failed.getCause());
            }
        });
        loader.assertLoaderThreadsGone();
    }

    @Test
    void closeMidLoadWaitsForTheLoadThenReleasesEverythingAndEndsItsThreads() {
        CountDownLatch stage1Entered = new CountDownLatch(1);
        CountDownLatch stage2Loaded = new CountDownLatch(1);
        CountDownLatch finishStage1 = new CountDownLatch(1);
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> {
            if (stage == 1) {
                stage1Entered.countDown();
                finishStage1.await();
            } else if (stage == 2) {
                stage2Loaded.countDown();
            }
        });
        var pipeline = PrefetchPipeline.start(new int[] {0, 1, 2}, 2, loader);
        noHang(() -> {
            StageHandle<FakeLoader.Loaded> held = pipeline.acquire(); // slot 0 held: position 3 waits
            stage1Entered.await();
            stage2Loaded.await();
            Thread closer = Thread.ofPlatform().start(pipeline::close);
            while (!pipeline.isClosed()) {
                Thread.onSpinWait();
            }
            assertTrue(closer.isAlive(), "close() must wait for the load in progress");
            finishStage1.countDown();
            closer.join();
            assertEquals(3, loader.loadCount.get(), "nothing loads after close");
            assertEquals(2, loader.releases.get(), "both unconsumed stages released");
            assertEquals(0, held.value().stage(), "a held stage stays valid until its handle closes");
            held.close();
            assertThrows(IllegalStateException.class, pipeline::acquire);
            pipeline.close(); // twice is harmless
        });
        loader.assertAllReleased();
        loader.assertLoaderThreadsGone();
    }

    @Test
    void closeFromAnotherThreadWakesAConsumerBlockedInAcquire() {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch finishLoad = new CountDownLatch(1);
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> {
            entered.countDown();
            finishLoad.await();
        });
        var pipeline = PrefetchPipeline.start(new int[] {0, 1}, 1, loader);
        AtomicReference<Throwable> consumerGot = new AtomicReference<>();
        noHang(() -> {
            entered.await();
            Thread consumer = Thread.ofPlatform().start(() -> {
                try (var h = pipeline.acquire()) {
                    consumerGot.set(new AssertionError("got " + h));
                } catch (Throwable t) {
                    consumerGot.set(t);
                }
            });
            while (consumer.getState() != Thread.State.WAITING) {
                Thread.onSpinWait(); // until it blocks waiting for stage 0
            }
            Thread closer = Thread.ofPlatform().start(pipeline::close);
            consumer.join(); // ends while the load is still blocked: close() woke it
            assertTrue(closer.isAlive());
            finishLoad.countDown();
            closer.join();
        });
        assertInstanceOf(IllegalStateException.class, consumerGot.get());
        assertTrue(consumerGot.get().getMessage().contains("closed"), consumerGot.get().getMessage());
        loader.assertAllReleased();
        loader.assertLoaderThreadsGone();
    }

    @Test
    void anInterruptedConsumerGetsAPrefetchExceptionAndMayTryAgain() {
        CountDownLatch finishLoad = new CountDownLatch(1);
        FakeLoader loader = new FakeLoader((stage, serial, slot) -> finishLoad.await());
        AtomicReference<Throwable> consumerGot = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        noHang(() -> {
            try (var pipeline = PrefetchPipeline.start(new int[] {0, 1}, 1, loader)) {
                Thread consumer = Thread.ofPlatform().start(() -> {
                    try {
                        pipeline.acquire();
                    } catch (Throwable t) {
                        consumerGot.set(t);
                        stillInterrupted.set(Thread.currentThread().isInterrupted());
                    }
                });
                while (consumer.getState() != Thread.State.WAITING) {
                    Thread.onSpinWait();
                }
                consumer.interrupt();
                consumer.join();
                finishLoad.countDown();
                try (var h = pipeline.acquire()) { // the interrupted acquire consumed nothing
                    assertEquals(0, h.stage());
                }
            }
        });
        var e = assertInstanceOf(PrefetchException.class, consumerGot.get());
        assertInstanceOf(InterruptedException.class, e.getCause());
        assertTrue(stillInterrupted.get(), "the interrupt status is kept");
        loader.assertAllReleased();
    }

    @Test
    void closeWithLoadsWaitingForSlotsEndsEveryThread() {
        FakeLoader loader = new FakeLoader();
        var pipeline = PrefetchPipeline.start(new int[] {0, 1, 2, 3}, 4, loader);
        noHang(() -> {
            try (var h = pipeline.acquire()) {
                assertEquals(0, h.stage());
                pipeline.close(); // the other four slots are loaded or loading; threads wait for slots
            }
        });
        assertTrue(loader.loadCount.get() >= 1 && loader.loadCount.get() <= 5);
        loader.assertAllReleased();
        loader.assertLoaderThreadsGone();
    }
}
