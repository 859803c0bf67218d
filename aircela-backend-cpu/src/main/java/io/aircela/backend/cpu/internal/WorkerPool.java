package io.aircela.backend.cpu.internal;

import io.aircela.BackendException;

import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of platform threads that split one loop at a time between them and the calling thread.
 *
 * <p>Threads are started once; each {@link #parallelFor} is two phaser barriers (start, end) and an
 * atomic chunk counter, so running an op creates no thread and no task object. Work is handed out
 * in chunks so that rows not a multiple of the thread count still balance. Not reentrant: one
 * caller at a time (the backend is used by one thread at a time).
 */
public final class WorkerPool implements AutoCloseable {

    /** The body of a parallel loop over units {@code [from, to)}; {@code worker} indexes per-thread scratch. */
    public interface Body {
        void run(int from, int to, int worker);
    }

    private final Thread[] workers;
    private final Phaser phaser;
    private final AtomicInteger next = new AtomicInteger();
    private volatile Body body;
    private volatile int units;
    private volatile int chunk;
    private volatile Throwable failure;
    private volatile boolean closed;

    /** Starts {@code threads - 1} workers named {@code namePrefix + i}; the caller is the last thread. */
    public WorkerPool(int threads, String namePrefix) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        this.phaser = new Phaser(threads);
        this.workers = new Thread[threads - 1];
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
        this.body = body;
        this.units = units;
        this.chunk = Math.max(1, units / (threads() * 4));
        this.failure = null;
        next.set(0);
        phaser.arriveAndAwaitAdvance(); // start
        work(0);
        phaser.arriveAndAwaitAdvance(); // end: every worker finished its chunks
        this.body = null;
        Throwable t = failure;
        if (t instanceof Error e) throw e;
        if (t instanceof RuntimeException r) throw r;
        if (t != null) throw new BackendException("a CPU worker failed: " + t, t);
    }

    private void loop(int id) {
        while (true) {
            if (phaser.arriveAndAwaitAdvance() < 0 || closed) return;
            work(id);
            if (phaser.arriveAndAwaitAdvance() < 0) return;
        }
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
        phaser.forceTermination();
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
