package io.aircela.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loader that records everything the pipeline does to it: concurrent loads, live slots, slot
 * reuse before release, loads and bytes per stage, the threads it ran on. A {@link Gate} lets a
 * test block or fail a particular load.
 */
final class FakeLoader implements StageLoader<FakeLoader.Loaded> {

    /** What a load produced; {@code serial} counts earlier loads of the same stage. */
    record Loaded(int stage, int slot, int serial) {
    }

    /** Runs inside {@code load}, after the load is counted as in flight. */
    @FunctionalInterface
    interface Gate {
        void enter(int stage, int serial, int slot) throws Exception;
    }

    static final int MAX_SLOTS = 64;

    private final Gate gate;
    final AtomicInteger concurrent = new AtomicInteger();
    final AtomicInteger maxConcurrent = new AtomicInteger();
    final AtomicInteger liveSlots = new AtomicInteger();
    final AtomicInteger maxLiveSlots = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final AtomicInteger loadCount = new AtomicInteger();
    final Map<Integer, AtomicLong> loadsPerStage = new ConcurrentHashMap<>();
    final Map<Integer, AtomicLong> bytesPerStage = new ConcurrentHashMap<>();
    final Set<String> threadNames = ConcurrentHashMap.newKeySet();
    final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final AtomicIntegerArray slotBusy = new AtomicIntegerArray(MAX_SLOTS);
    private final Map<Integer, AtomicInteger> serials = new ConcurrentHashMap<>();

    FakeLoader(Gate gate) {
        this.gate = gate;
    }

    FakeLoader() {
        this((stage, serial, slot) -> { });
    }

    static long bytesOf(int stage) {
        return 1000L + stage;
    }

    @Override
    public Loaded load(int stage, int slot) throws Exception {
        threadNames.add(Thread.currentThread().getName());
        if (!slotBusy.compareAndSet(slot, 0, 1)) {
            violations.add("slot " + slot + " loaded again before its value was released");
        }
        raiseMax(maxLiveSlots, liveSlots.incrementAndGet());
        raiseMax(maxConcurrent, concurrent.incrementAndGet());
        int serial = serials.computeIfAbsent(stage, s -> new AtomicInteger()).getAndIncrement();
        try {
            gate.enter(stage, serial, slot);
        } catch (Exception | Error e) {
            slotBusy.set(slot, 0);
            liveSlots.decrementAndGet();
            throw e;
        } finally {
            concurrent.decrementAndGet();
        }
        loadCount.incrementAndGet();
        loadsPerStage.computeIfAbsent(stage, s -> new AtomicLong()).incrementAndGet();
        bytesPerStage.computeIfAbsent(stage, s -> new AtomicLong()).addAndGet(bytesOf(stage));
        return new Loaded(stage, slot, serial);
    }

    @Override
    public long byteCount(Loaded loaded) {
        return bytesOf(loaded.stage());
    }

    @Override
    public void release(Loaded loaded) {
        if (!slotBusy.compareAndSet(loaded.slot(), 1, 0)) {
            violations.add("slot " + loaded.slot() + " released twice or never loaded");
        }
        liveSlots.decrementAndGet();
        releases.incrementAndGet();
    }

    long loads(int stage) {
        AtomicLong n = loadsPerStage.get(stage);
        return n == null ? 0 : n.get();
    }

    long bytes(int stage) {
        AtomicLong n = bytesPerStage.get(stage);
        return n == null ? 0 : n.get();
    }

    /** After the pipeline closed and every handle closed: all released once, nothing broke. */
    void assertAllReleased() {
        assertTrue(violations.isEmpty(), () -> "violations: " + violations);
        assertEquals(loadCount.get(), releases.get(), "every loaded value released exactly once");
        assertEquals(0, liveSlots.get(), "live slots after close");
    }

    /** Every load ran on a pipeline thread, and none of those threads is still alive. */
    void assertLoaderThreadsGone() {
        assertFalse(threadNames.isEmpty(), "no load ran");
        for (String name : threadNames) {
            assertTrue(name.startsWith("aircela-prefetch-"), () -> "loader ran on " + name);
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(threadNames.contains(t.getName()), () -> t.getName() + " still alive");
        }
    }

    private static void raiseMax(AtomicInteger max, int value) {
        max.accumulateAndGet(value, Math::max);
    }
}
