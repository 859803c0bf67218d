package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WorkerPoolTest {

    @Test
    void everyUnitRunsExactlyOnceAndFailuresReachTheCaller() {
        try (WorkerPool pool = new WorkerPool(3, "aircela-cpu-test-pool-")) {
            for (int units : new int[]{1, 2, 7, 37, 1000}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(units);
                pool.parallelFor(units, (from, to, worker) -> {
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < units; i++) assertEquals(1, seen.get(i), "unit " + i + " of " + units);
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(100,
                    (from, to, worker) -> {
                        if (from <= 50 && 50 < to) throw new IllegalStateException("boom");
                    }));
            assertEquals("boom", e.getMessage());
            AtomicIntegerArray after = new AtomicIntegerArray(10);
            pool.parallelFor(10, (from, to, worker) -> {
                for (int i = from; i < to; i++) after.incrementAndGet(i);
            });
            assertEquals(1, after.get(9), "the pool still works after a failure");
        }
    }

    /**
     * Many short loops on more threads than cores: workers regularly wake after the caller has claimed every
     * chunk and closed the loop (the late-join path), and stale workers see a newer loop. Every unit must still
     * run exactly once per loop, with no unit of one loop leaking into the next, and nothing may hang.
     */
    @Test
    void manyShortLoopsOnOversubscribedCoresRunEveryUnitExactlyOnce() {
        int threads = Runtime.getRuntime().availableProcessors() + 2;
        try (WorkerPool pool = new WorkerPool(threads, "aircela-cpu-test-stress-")) {
            int units = 64;
            AtomicIntegerArray seen = new AtomicIntegerArray(units);
            for (int loop = 1; loop <= 20_000; loop++) {
                pool.parallelFor(units, (from, to, worker) -> {
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < units; i++)
                    if (seen.get(i) != loop) assertEquals(loop, seen.get(i), "unit " + i + " after loop " + loop);
            }
        }
    }

    @Test
    void closeJoinsWorkersAndRefusesWork() {
        WorkerPool pool = new WorkerPool(3, "aircela-cpu-test-close-");
        pool.close();
        pool.close();
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith("aircela-cpu-test-close-") && t.isAlive()));
        assertThrows(IllegalStateException.class, () -> pool.parallelFor(5, (a, b, c) -> { }));
    }
}
