package io.aircela.scheduler;

/**
 * What the pipeline measured for one stage since it started.
 *
 * @param stage             the stage id
 * @param loads             completed loads of this stage
 * @param bytesLoaded       bytes those loads read, as {@link StageLoader#byteCount} reported them
 * @param consumerWaitNanos nanoseconds the consumer was blocked in {@code acquire()} waiting for
 *                          this stage to load (compute waited for I/O); with depth 0, the whole
 *                          load, which runs inside {@code acquire()}
 * @param slotWaitNanos     nanoseconds loads of this stage waited for their slot to be released
 *                          (I/O waited for compute); always 0 with depth 0
 */
public record StageCounters(int stage, long loads, long bytesLoaded,
                            long consumerWaitNanos, long slotWaitNanos) {
}
