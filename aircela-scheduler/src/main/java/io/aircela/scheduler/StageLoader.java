package io.aircela.scheduler;

/**
 * Loads one stage of a {@link PrefetchPipeline} into one of its slots, and releases what it loaded.
 *
 * <p>A slot is an index in {@code [0, depth]}: the pipeline never has more than {@code depth + 1}
 * values alive, and it reuses a slot only after the value loaded into it was released. So an
 * engine can preallocate {@code depth + 1} buffers of the largest stage's size and let
 * {@code load} fill buffer {@code slot}; {@code T} is then typically a view of that buffer.
 *
 * <p>Threads: with {@code depth > 0}, {@link #load} and {@link #byteCount} run on the pipeline's
 * own threads (named {@code aircela-prefetch-...}), up to {@code depth} loads at once, each into a
 * different slot; with {@code depth == 0} they run on the consumer's thread inside
 * {@link PrefetchPipeline#acquire()}. {@link #release} runs on the consumer's thread (when it
 * closes a {@link StageHandle}) or on the thread that closes the pipeline. Every value that
 * {@code load} returns is released exactly once.
 *
 * @param <T> what a loaded stage is (for example a view of the slot's buffer)
 */
public interface StageLoader<T> {

    /**
     * Loads {@code stage} into {@code slot}. The pipeline does not interrupt a load in progress
     * (interrupting a thread that reads an interruptible {@code FileChannel} would close the channel
     * for every other reader); closing the pipeline waits for the load to return, then releases it.
     *
     * @param stage the stage id, as given in the pipeline's cycle
     * @param slot  the slot to fill, in {@code [0, depth]}; no other live value uses it
     * @return the loaded value, never null
     * @throws Exception any failure; it reaches the consumer from {@code acquire()} for this stage
     */
    T load(int stage, int slot) throws Exception;

    /** Bytes that loading {@code loaded} read, for the pipeline's counters. */
    long byteCount(T loaded);

    /** Gives back what {@link #load} returned; after this call its slot may be loaded again. */
    void release(T loaded);
}
