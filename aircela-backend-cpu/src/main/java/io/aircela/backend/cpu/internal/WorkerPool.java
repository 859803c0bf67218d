package io.aircela.backend.cpu.internal;

import io.aircela.BackendException;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of platform threads that split one loop at a time between them and the calling thread.
 *
 * <p>Threads are started once; a {@link #parallelFor} bumps an epoch counter, the workers (spinning
 * briefly, then parked) see it and take chunks from an atomic counter, and the last one to finish wakes the
 * caller if it parked. Decode runs about 200 loops per token, most a few hundred microseconds long, so the
 * barrier must cost microseconds: threads spin about {@link #SPINS} pauses before parking, and park/unpark
 * (tens of microseconds on a busy machine) happens only when a thread really idles. Running an op creates
 * no thread and no task object. Work is handed out in chunks so that rows not a multiple of the thread
 * count still balance. Not reentrant: one caller at a time (the backend is used by one thread at a time).
 */
public final class WorkerPool implements AutoCloseable {

    /** The body of a parallel loop over units {@code [from, to)}; {@code worker} indexes per-thread scratch. */
    public interface Body {
        void run(int from, int to, int worker);
    }

    /** Onspin-wait pauses before a waiting thread parks (some tens of microseconds). */
    static final int SPINS = 1 << 12;

    private final Thread[] workers;
    private final AtomicInteger next = new AtomicInteger();
    /**
     * Who may still join the current loop: epoch in the high 32 bits, {@link #CLOSED}, and in the low bits the
     * workers that joined and have not finished. The caller closes the gate once every chunk is claimed and
     * then waits only for the joined workers: a worker the OS has descheduled (another process on its core)
     * no longer holds up every loop for a whole time slice, which made decode 2-3x slower on a busy machine.
     */
    private final java.util.concurrent.atomic.AtomicLong gate = new java.util.concurrent.atomic.AtomicLong();
    private static final long CLOSED = 1L << 31;
    private final java.util.concurrent.atomic.AtomicIntegerArray parked;
    private volatile Thread caller;
    private volatile boolean callerParked;
    private volatile int epoch;
    private volatile Body body;
    private volatile int units;
    private volatile int chunk;
    private volatile Throwable failure;
    private volatile boolean closed;

    /** Starts {@code threads - 1} workers named {@code namePrefix + i}; the caller is the last thread. */
    public WorkerPool(int threads, String namePrefix) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        this.workers = new Thread[threads - 1];
        this.parked = new java.util.concurrent.atomic.AtomicIntegerArray(threads);
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = Thread.ofPlatform().name(namePrefix + id).daemon(true).unstarted(() -> loop(id));
            workers[i].start();
        }
    }

    /** Threads that share a loop, the caller included. */
    public int threads() {
        return workers.length + 1;
    }

    /** Runs {@code body} over {@code [0, units)} on every thread and returns when all are done. */
    public void parallelFor(int units, Body body) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (units <= 0) return;
        if (workers.length == 0 || units == 1) {
            body.run(0, units, 0);
            return;
        }
        this.caller = Thread.currentThread();
        this.body = body;
        this.units = units;
        this.chunk = Math.max(1, units / (threads() * 4));
        this.failure = null;
        next.set(0);
        int ep = epoch + 1;
        gate.set((long) ep << 32);
        epoch = ep; // volatile write: publishes the fields above; the workers start
        for (int i = 0; i < workers.length; i++) if (parked.get(i + 1) != 0) LockSupport.unpark(workers[i]);
        work(0);
        gate.getAndAdd(CLOSED); // every chunk is claimed: late workers stay out of this loop
        awaitWorkers();
        this.body = null;
        Throwable t = failure;
        if (t instanceof Error e) throw e;
        if (t instanceof RuntimeException r) throw r;
        if (t != null) throw new BackendException("a CPU worker failed: " + t, t);
    }

    private void awaitWorkers() {
        for (int spin = 0; (gate.get() & (CLOSED - 1)) != 0; spin++) {
            if (spin < SPINS) {
                Thread.onSpinWait();
                continue;
            }
            callerParked = true; // Dekker with the worker's decrement-then-read: one of us sees the other
            if ((gate.get() & (CLOSED - 1)) != 0) LockSupport.park(this);
            callerParked = false;
        }
    }

    private void loop(int id) {
        int seen = 0;
        while (true) {
            int e = awaitEpoch(id, seen);
            if (closed) return;
            seen = e;
            if (!join(e)) continue;
            work(id);
            if ((gate.decrementAndGet() & (CLOSED - 1)) == 0 && callerParked) LockSupport.unpark(caller);
        }
    }

    /** Spins, then parks, until the epoch moves past {@code seen} or the pool closes. */
    private int awaitEpoch(int id, int seen) {
        int e;
        for (int spin = 0; (e = epoch) == seen && !closed; spin++) {
            if (spin < SPINS) {
                Thread.onSpinWait();
                continue;
            }
            parked.set(id, 1); // Dekker with parallelFor's epoch write-then-read of parked
            if (epoch == seen && !closed) LockSupport.park(this);
            parked.set(id, 0);
        }
        return e;
    }

    /** Joins loop {@code e} unless it is closed or over; the caller then waits for this worker. */
    private boolean join(int e) {
        for (long g = gate.get(); (int) (g >>> 32) == e && (g & CLOSED) == 0; g = gate.get()) {
            if (gate.compareAndSet(g, g + 1)) return true;
        }
        return false;
    }

    private void work(int id) {
        Body b = body;
        int n = units;
        int c = chunk;
        try {
            for (int from = next.getAndAdd(c); from < n; from = next.getAndAdd(c)) b.run(from, Math.min(n, from + c), id);
        } catch (Throwable t) {
            failure = t;
            next.set(n); // the others stop taking chunks
        }
    }

    /** Stops and joins every worker; closing twice is harmless. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
        boolean interrupted = false;
        for (Thread w : workers) {
            while (w.isAlive()) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
