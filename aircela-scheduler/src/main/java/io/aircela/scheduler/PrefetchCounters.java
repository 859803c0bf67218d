package io.aircela.scheduler;

import java.util.List;

/**
 * A snapshot of a pipeline's counters: the totals and one {@link StageCounters} per stage, in
 * cycle order. The totals are the sums of the stages' counters. Immutable.
 *
 * @param loads             completed loads
 * @param bytesLoaded       bytes loaded
 * @param consumerWaitNanos nanoseconds the consumer spent waiting in {@code acquire()}
 * @param slotWaitNanos     nanoseconds loads spent waiting for a free slot
 * @param stages            per stage, in cycle order
 */
public record PrefetchCounters(long loads, long bytesLoaded, long consumerWaitNanos,
                               long slotWaitNanos, List<StageCounters> stages) {

    public PrefetchCounters {
        stages = List.copyOf(stages);
    }

    /** Sums {@code stages} into totals. */
    public static PrefetchCounters of(List<StageCounters> stages) {
        long loads = 0, bytes = 0, consumerWait = 0, slotWait = 0;
        for (StageCounters s : stages) {
            loads += s.loads();
            bytes += s.bytesLoaded();
            consumerWait += s.consumerWaitNanos();
            slotWait += s.slotWaitNanos();
        }
        return new PrefetchCounters(loads, bytes, consumerWait, slotWait, stages);
    }
}
