package io.aircela.engine.streaming;

import io.aircela.engine.model.WeightSpec;

/**
 * Where the weights of one stage (a transformer layer, or the LM head) lie in a slot. Two shapes:
 * <ul>
 *   <li><b>spanned</b> ({@link #spanStart} ≥ 0): the stage's tensors lie together in the file (llama.cpp
 *       and our own writer put a layer's tensors one after the other), so one read copies the whole
 *       byte range {@code [spanStart, spanStart + bytes)} and each weight is the slice at its file offset
 *       minus {@code spanStart}. One large read instead of one per tensor: fewer system calls, larger
 *       requests for the device, and one wake-up of the loader thread per layer, which matters on a
 *       busy CPU where every wake-up waits for a core;</li>
 *   <li><b>per tensor</b>: each weight gets a region aligned for the {@link TensorReader}: the stored
 *       bytes (plus the reader's block padding), or the F32 values of a weight that is dequantized after
 *       reading. A dequantized weight is first read into the slot's staging area ({@link #stagingBytes}
 *       at most).</li>
 * </ul>
 *
 * @param stage        the stage id: layer index, or the layer count for the LM head
 * @param specs        the stage's weights (nulls where a layer has no such tensor)
 * @param offsets      each weight's offset in the slot
 * @param bytes        bytes of the slot the stage spans (aligned)
 * @param readBytes    bytes one load takes from storage
 * @param stagingBytes staging needed for the largest dequantized weight, 0 when none is
 * @param spanStart    file offset of a spanned stage's single read, or -1 when it is read per tensor
 */
record StageLayout(int stage, WeightSpec[] specs, long[] offsets, long bytes, long readBytes, long stagingBytes,
                   long spanStart) {

    /** Extra bytes a span may carry beyond its tensors (padding between them) before per-tensor reads win. */
    private static final int SPAN_SLACK_DIVISOR = 16;

    static StageLayout of(int stage, WeightSpec[] specs, TensorReader reader) {
        StageLayout spanned = spanned(stage, specs, reader);
        return spanned != null ? spanned : perTensor(stage, specs, reader);
    }

    /** Whether one read fills the whole stage. */
    boolean spanned() {
        return spanStart >= 0;
    }

    /** The spanned layout, or null when the reader reads tensors only, a weight is converted, or others lie between. */
    private static StageLayout spanned(int stage, WeightSpec[] specs, TensorReader reader) {
        if (!reader.readsSpans()) return null;
        long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE, sum = 0;
        for (WeightSpec s : specs) {
            if (s == null) continue;
            if (s.converted()) return null;
            lo = Math.min(lo, s.tensor().offset());
            hi = Math.max(hi, s.tensor().end());
            sum += s.tensor().byteSize();
        }
        if (lo == Long.MAX_VALUE) return null;
        long align = reader.alignment();
        long start = alignDown(lo, align), end = alignUp(hi, align);
        if (end - start > sum + sum / SPAN_SLACK_DIVISOR + 2 * align) return null;
        long[] offsets = new long[specs.length];
        for (int k = 0; k < specs.length; k++) if (specs[k] != null) offsets[k] = specs[k].tensor().offset() - start;
        return new StageLayout(stage, specs, offsets, end - start, end - start, 0, start);
    }

    private static StageLayout perTensor(int stage, WeightSpec[] specs, TensorReader reader) {
        long align = reader.alignment(), off = 0, read = 0, staging = 0;
        long[] offsets = new long[specs.length];
        for (int k = 0; k < specs.length; k++) {
            WeightSpec s = specs[k];
            if (s == null) continue;
            off = alignUp(off, align);
            offsets[k] = off;
            long region = reader.regionBytes(s.tensor());
            off += s.converted() ? s.deviceBytes() : region;
            if (s.converted()) staging = Math.max(staging, region);
            read += reader.bytesRead(s.tensor());
        }
        return new StageLayout(stage, specs, offsets, alignUp(off, align), read, alignUp(staging, align), -1);
    }

    static long alignUp(long x, long a) {
        return (x + a - 1) & -a;
    }

    static long alignDown(long x, long a) {
        return x & -a;
    }
}
