package io.aircela.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Loads the stages of an endless cycle ahead of one consumer: {@code cycle[0], cycle[1], ...,
 * cycle[L-1], cycle[0], ...}. Up to {@code depth} stages are loaded ahead of the consumer, by the
 * pipeline's own threads ({@code depth} of them, or fewer: see {@link #start(int[], int, int, StageLoader)}),
 * into {@code depth + 1} slots; {@link #acquire()} hands the stages to the consumer strictly in
 * order, and the loads wrap across the end of the cycle (the next cycle's first stages load while
 * this cycle's last stages are being used).
 *
 * <p>The cycle is any list of distinct stage ids: an engine that keeps some layers resident
 * passes only the streamed ones, and the pipeline never sees the others.
 *
 * <p>{@code depth == 0} is the sequential way (load, use, free): no threads, one slot, and
 * {@code acquire()} runs the load on the consumer's thread.
 *
 * <p>Bounds: never more than {@code depth + 1} loaded values are alive; stage at position
 * {@code p} goes into slot {@code p % (depth + 1)}, and a slot is loaded again only after the value
 * in it was released (by the consumer closing its {@link StageHandle}, or by {@link #close()}).
 *
 * <p>Failure: when a load throws, the consumer gets a {@link PrefetchException} (cause: the
 * loader's exception) from the {@code acquire()} for that stage; stages before it are delivered
 * normally. The pipeline is then failed: it loads nothing more, and every later {@code acquire()}
 * throws a {@code PrefetchException} with the same cause. Close it and start a new one.
 *
 * <p>Thread safety: one consumer thread calls {@link #acquire()} and closes the handles; the loader
 * is called from the pipeline's threads (see {@link StageLoader}). {@link #close()},
 * {@link #counters()} and {@link #isClosed()} may be called from any thread; {@code close()}
 * wakes a consumer blocked in {@code acquire()}, which then throws {@link IllegalStateException}.
 *
 * @param <T> what a loaded stage is
 */
public final class PrefetchPipeline<T> implements AutoCloseable {
    private static final AtomicInteger PIPELINE_IDS = new AtomicInteger();

    private enum State { FREE, LOADING, READY, HELD }

    /** One of the depth + 1 slots; every field is guarded by {@code lock}. */
    private final class Slot {
        final int index;
        State state = State.FREE;
        long position; // the last position loaded here; the next is position + depth + 1
        T value;
        Throwable error;

        Slot(int index, int slotCount) {
            this.index = index;
            this.position = index - slotCount;
        }

        void free() {
            state = State.FREE;
            value = null;
            error = null;
        }
    }

    private final int[] cycle;
    private final int depth;
    private final StageLoader<T> loader;
    private final List<Slot> slots;
    private final List<Thread> threads;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition slotFreed = lock.newCondition();
    private final Condition stageLoaded = lock.newCondition();

    // Guarded by lock. Per-stage counters are indexed by position in the cycle.
    private final long[] loads;
    private final long[] bytesLoaded;
    private final long[] consumerWaitNanos;
    private final long[] slotWaitNanos;
    private long nextToLoad;
    private boolean loadFailed;
    private volatile boolean closed; // written under lock; volatile for isClosed()

    // The consumer's thread only.
    private long nextToAcquire;
    private PrefetchException failure;

    private PrefetchPipeline(int[] cycle, int depth, StageLoader<T> loader) {
        this.cycle = cycle;
        this.depth = depth;
        this.loader = loader;
        this.slots = new ArrayList<>(depth + 1);
        for (int i = 0; i <= depth; i++) {
            slots.add(new Slot(i, depth + 1));
        }
        this.threads = new ArrayList<>(depth);
        this.loads = new long[cycle.length];
        this.bytesLoaded = new long[cycle.length];
        this.consumerWaitNanos = new long[cycle.length];
        this.slotWaitNanos = new long[cycle.length];
    }

    /**
     * Starts a pipeline and its {@code depth} loader threads, which begin loading at once.
     *
     * @param cycle  the stage ids in the order the consumer needs them; non-empty, distinct, ≥ 0
     * @param depth  loads kept in flight ahead of the consumer (N); 0 loads on {@code acquire()}
     * @param loader loads and releases stages
     */
    public static <T> PrefetchPipeline<T> start(int[] cycle, int depth, StageLoader<T> loader) {
        return start(cycle, depth, depth, loader);
    }

    /**
     * Starts a pipeline whose {@code depth} stages ahead are loaded by at most {@code loaderThreads}
     * threads. One thread loads the stages one after the other, each at the storage's full speed,
     * and still runs up to {@code depth} stages ahead: the next stage the consumer needs is ready
     * sooner than when {@code depth} loads share the bandwidth, and bursts are absorbed by the
     * {@code depth + 1} slots. More threads pay off where one load cannot keep the storage busy.
     *
     * @param loaderThreads threads that load (at least 1 when {@code depth > 0}); capped at {@code depth}
     */
    public static <T> PrefetchPipeline<T> start(int[] cycle, int depth, int loaderThreads, StageLoader<T> loader) {
        Objects.requireNonNull(loader, "loader");
        int[] stages = validCycle(cycle);
        if (depth < 0) {
            throw new IllegalArgumentException("Expected a prefetch depth of 0 or more, got " + depth);
        }
        if (depth > 0 && loaderThreads < 1) {
            throw new IllegalArgumentException("Expected at least one loader thread, got " + loaderThreads);
        }
        PrefetchPipeline<T> pipeline = new PrefetchPipeline<>(stages, depth, loader);
        int id = PIPELINE_IDS.incrementAndGet();
        for (int i = 0; i < Math.min(depth, loaderThreads); i++) {
            Thread t = Thread.ofPlatform().daemon().name("aircela-prefetch-" + id + "-" + i)
                    .unstarted(pipeline::runLoader);
            pipeline.threads.add(t);
        }
        pipeline.threads.forEach(Thread::start);
        return pipeline;
    }

    private static int[] validCycle(int[] cycle) {
        Objects.requireNonNull(cycle, "cycle");
        if (cycle.length == 0) {
            throw new IllegalArgumentException("Expected at least one stage in the cycle, got none");
        }
        Set<Integer> seen = new HashSet<>();
        for (int stage : cycle) {
            if (stage < 0 || !seen.add(stage)) {
                throw new IllegalArgumentException("Expected distinct stage ids ≥ 0, got "
                        + Arrays.toString(cycle));
            }
        }
        return cycle.clone();
    }

    /** Loads kept in flight ahead of the consumer (N); the pipeline has N + 1 slots. */
    public int depth() {
        return depth;
    }

    /**
     * Waits for the next stage of the cycle and lends it to the consumer until the handle closes.
     *
     * @throws PrefetchException     if this stage's load failed, an earlier one did, or the
     *                               thread was interrupted while waiting
     * @throws IllegalStateException if the pipeline is closed, or the consumer still holds the
     *                               handle whose slot this stage needs (it holds depth + 1 already)
     */
    public StageHandle<T> acquire() {
        long p = nextToAcquire;
        Slot slot = slotOf(p);
        checkAcquirable(slot, p);
        long loadNanos = 0; // with depth 0 the consumer waits for the whole load
        if (depth == 0) {
            long start = System.nanoTime();
            load(p);
            loadNanos = System.nanoTime() - start;
        }
        StageHandle<T> handle = take(slot, p, loadNanos);
        nextToAcquire++;
        return handle;
    }

    private void checkAcquirable(Slot slot, long p) {
        if (closed) {
            throw closedException(p);
        }
        if (failure != null) {
            throw new PrefetchException(failure.stage(), "The pipeline failed earlier, loading stage "
                    + failure.stage() + "; close it and start a new one", failure.getCause());
        }
        lock.lock();
        try {
            if (slot.state == State.HELD) {
                throw new IllegalStateException("Stage " + stageAt(p) + " needs slot " + slot.index
                        + ", which the consumer still holds (position " + slot.position
                        + "); close that handle first: with depth " + depth + " at most "
                        + (depth + 1) + " stages can be held");
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until position p is loaded into its slot, then lends it to the consumer. */
    private StageHandle<T> take(Slot slot, long p, long waitedNanos) {
        int i = cycleIndex(p);
        lock.lock();
        try {
            if (!closed && !isLoaded(slot, p)) {
                long start = System.nanoTime();
                while (!closed && !isLoaded(slot, p)) {
                    awaitLoaded(p);
                }
                waitedNanos += System.nanoTime() - start;
            }
            if (!closed) {
                consumerWaitNanos[i] += waitedNanos;
                if (slot.error != null) {
                    failure = new PrefetchException(cycle[i], "Loading stage " + cycle[i]
                            + " into slot " + slot.index + " failed: " + slot.error, slot.error);
                    throw failure;
                }
                slot.state = State.HELD;
                // A fresh handle per stage (tiny next to a load) makes closing a stale one harmless.
                return new StageHandle<>(this, cycle[i], slot.index, p, slot.value);
            }
        } finally {
            lock.unlock();
        }
        releaseLoaded(); // a depth-0 load may have finished after close() released the slots
        throw closedException(p);
    }

    private boolean isLoaded(Slot slot, long p) {
        return slot.state == State.READY && slot.position == p;
    }

    private void awaitLoaded(long p) {
        try {
            stageLoaded.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PrefetchException(stageAt(p), "Interrupted while waiting for stage "
                    + stageAt(p) + " to load", e);
        }
    }

    /** Called by {@link StageHandle#close()}: gives the value back, then frees its slot. */
    void release(int slotIndex, long position, T value) {
        try {
            loader.release(value);
        } finally {
            lock.lock();
            try {
                Slot slot = slots.get(slotIndex);
                assert slot.state == State.HELD && slot.position == position : "slot " + slotIndex;
                slot.free();
                slotFreed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void runLoader() {
        for (long p = claimPosition(); p >= 0; p = claimPosition()) {
            if (!load(p)) {
                return;
            }
        }
    }

    private long claimPosition() {
        lock.lock();
        try {
            return closed || loadFailed ? -1 : nextToLoad++;
        } finally {
            lock.unlock();
        }
    }

    /** Waits for p's slot, loads p's stage into it and publishes the outcome. */
    private boolean load(long p) {
        Slot slot = slotOf(p);
        int i = cycleIndex(p);
        if (!claimSlot(slot, p, i)) {
            return false;
        }
        T value = null;
        Throwable error = null;
        long bytes = 0;
        try {
            value = Objects.requireNonNull(loader.load(cycle[i], slot.index),
                    () -> "The loader returned null for stage " + cycle[i]);
            bytes = loader.byteCount(value);
        } catch (Throwable t) { // the consumer rethrows it (wrapped) from acquire()
            error = t;
        }
        return publish(slot, i, value, bytes, error);
    }

    private boolean claimSlot(Slot slot, long p, int i) {
        lock.lock();
        try {
            if (!isFreeFor(slot, p) && !closed) {
                long start = System.nanoTime();
                while (!isFreeFor(slot, p) && !closed) {
                    slotFreed.awaitUninterruptibly(); // close() signals; nobody interrupts us
                }
                slotWaitNanos[i] += System.nanoTime() - start;
            }
            if (closed) {
                return false;
            }
            slot.state = State.LOADING;
            slot.position = p;
            return true;
        } finally {
            lock.unlock();
        }
    }

    // Slots are filled in position order: a later position must not take the slot first, or the
    // consumer, waiting for the earlier one, would deadlock with it.
    private boolean isFreeFor(Slot slot, long p) {
        return slot.state == State.FREE && slot.position == p - slots.size();
    }

    // Publishes even after close(): close() joins the threads and then releases every READY value.
    private boolean publish(Slot slot, int i, T value, long bytes, Throwable error) {
        lock.lock();
        try {
            if (value != null) {
                loads[i]++;
                bytesLoaded[i] += bytes;
            }
            loadFailed |= error != null;
            slot.state = State.READY;
            slot.value = value;
            slot.error = error;
            stageLoaded.signalAll();
            return error == null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops loading, waits for the loader threads to end (a load in progress finishes first),
     * and releases every loaded value the consumer does not hold. Handles the consumer still holds
     * stay valid; closing them releases their values. Closing twice is harmless.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            slotFreed.signalAll();
            stageLoaded.signalAll();
        } finally {
            lock.unlock();
        }
        joinThreads();
        releaseLoaded();
    }

    /** True once {@link #close()} has begun. */
    public boolean isClosed() {
        return closed;
    }

    private void joinThreads() {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t != Thread.currentThread() && t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: returning early would leave loads running
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Releases every loaded value nobody holds; each is taken under the lock, so once only. */
    private void releaseLoaded() {
        RuntimeException failed = null;
        for (Slot slot : slots) {
            T value;
            lock.lock();
            try {
                value = slot.state == State.READY ? slot.value : null;
                if (slot.state == State.READY) {
                    slot.free();
                }
            } finally {
                lock.unlock();
            }
            try {
                if (value != null) {
                    loader.release(value);
                }
            } catch (RuntimeException e) { // release the other slots first, then report
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** A snapshot of the counters; callable from any thread. */
    public PrefetchCounters counters() {
        List<StageCounters> stages = new ArrayList<>(cycle.length);
        lock.lock();
        try {
            for (int i = 0; i < cycle.length; i++) {
                stages.add(new StageCounters(cycle[i], loads[i], bytesLoaded[i],
                        consumerWaitNanos[i], slotWaitNanos[i]));
            }
        } finally {
            lock.unlock();
        }
        return PrefetchCounters.of(stages);
    }

    private IllegalStateException closedException(long p) {
        return new IllegalStateException("The prefetch pipeline is closed; cannot acquire stage "
                + stageAt(p) + " (position " + p + ")");
    }

    private Slot slotOf(long position) {
        return slots.get((int) (position % slots.size()));
    }

    private int cycleIndex(long position) {
        return (int) (position % cycle.length);
    }

    private int stageAt(long position) {
        return cycle[cycleIndex(position)];
    }
}
