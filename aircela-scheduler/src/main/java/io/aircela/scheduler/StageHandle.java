package io.aircela.scheduler;

/**
 * One loaded stage, lent to the consumer by {@link PrefetchPipeline#acquire()} until it is closed.
 * Closing it releases the value through {@link StageLoader#release} and frees its slot for the
 * next load; closing twice is harmless. Use it from the consumer's thread only.
 *
 * @param <T> the loaded value's type
 */
public final class StageHandle<T> implements AutoCloseable {
    private final PrefetchPipeline<T> pipeline;
    private final int stage;
    private final int slot;
    private final long position;
    private final T value;
    private boolean closed;

    StageHandle(PrefetchPipeline<T> pipeline, int stage, int slot, long position, T value) {
        this.pipeline = pipeline;
        this.stage = stage;
        this.slot = slot;
        this.position = position;
        this.value = value;
    }

    /** The stage id, as given in the pipeline's cycle. */
    public int stage() {
        return stage;
    }

    /** The slot the value lives in, in {@code [0, depth]}. */
    public int slot() {
        return slot;
    }

    /** How many stages the consumer acquired before this one (0, 1, 2, ... across cycles). */
    public long position() {
        return position;
    }

    /** The loaded value; valid until this handle is closed. */
    public T value() {
        if (closed) {
            throw new IllegalStateException("Stage " + stage + " at position " + position
                    + " was already released; use the value before closing its handle");
        }
        return value;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pipeline.release(slot, position, value);
    }

    @Override
    public String toString() {
        return "StageHandle[stage=" + stage + ", slot=" + slot + ", position=" + position + "]";
    }
}
