package io.aircela.engine.streaming;

/**
 * Layer-streaming counters of an engine since it opened, or between two snapshots ({@link #since}).
 * "Layers" count the LM head as a layer (it is a stage of its own), so resident + streamed = layers + 1.
 *
 * @param residentLayers           stages kept resident
 * @param streamedLayers           stages streamed
 * @param slots                    slot buffers (prefetch depth + 1; 0 when nothing is streamed)
 * @param prefetchDepth            loads in flight ahead of compute
 * @param forwardPasses            forward passes run (one per decoded token; a prompt chunk is one pass)
 * @param bytesRead                bytes read from storage by streamed loads (including loads made
 *                                 ahead for a pass that did not run)
 * @param ioMillis                 wall time during which at least one load was running (loads that overlap
 *                                 count once, so it compares with {@code computeMillis})
 * @param computeMillis            forward-pass time not spent waiting for a load
 * @param computeWaitedForIoMillis time the forward pass waited for loads (all the load time at depth 0)
 * @param ioWaitedForComputeMillis time loads waited for a free slot
 */
public record StreamingStats(int residentLayers, int streamedLayers, int slots, int prefetchDepth, long forwardPasses,
                             long bytesRead, double ioMillis, double computeMillis, double computeWaitedForIoMillis,
                             double ioWaitedForComputeMillis) {

    /** Bytes read per forward pass (≈ the streamed stages' bytes); 0 before any pass. */
    public long bytesReadPerToken() {
        return forwardPasses > 0 ? bytesRead / forwardPasses : 0;
    }

    /** The counters accumulated after {@code earlier} (a snapshot of the same engine). */
    public StreamingStats since(StreamingStats earlier) {
        return new StreamingStats(residentLayers, streamedLayers, slots, prefetchDepth,
                forwardPasses - earlier.forwardPasses, bytesRead - earlier.bytesRead, ioMillis - earlier.ioMillis,
                computeMillis - earlier.computeMillis, computeWaitedForIoMillis - earlier.computeWaitedForIoMillis,
                ioWaitedForComputeMillis - earlier.ioWaitedForComputeMillis);
    }
}
