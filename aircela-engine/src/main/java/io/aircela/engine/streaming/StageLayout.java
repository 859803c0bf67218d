package io.aircela.engine.streaming;

import io.aircela.engine.model.WeightSpec;

/**
 * Where the weights of one stage (a transformer layer, or the LM head) lie in a slot. Each weight
 * gets a region aligned for the {@link TensorReader}: the stored bytes (plus the reader's block
 * padding), or the F32 values of a weight that is dequantized after reading. A dequantized weight is
 * first read into the slot's staging area ({@link #stagingBytes} at most).
 *
 * @param stage        the stage id: layer index, or the layer count for the LM head
 * @param specs        the stage's weights (nulls where a layer has no such tensor)
 * @param offsets      each weight's region offset in the slot
 * @param bytes        bytes of the slot the stage's regions span (aligned)
 * @param readBytes    bytes one load takes from storage
 * @param stagingBytes staging needed for the largest dequantized weight, 0 when none is
 */
record StageLayout(int stage, WeightSpec[] specs, long[] offsets, long bytes, long readBytes, long stagingBytes) {

    static StageLayout of(int stage, WeightSpec[] specs, TensorReader reader) {
        long align = reader.alignment(), off = 0, read = 0, staging = 0;
        long[] offsets = new long[specs.length];
        for (int k = 0; k < specs.length; k++) {
            WeightSpec s = specs[k];
            if (s == null) continue;
            off = DirectTensorReader.alignUp(off, align);
            offsets[k] = off;
            long region = reader.regionBytes(s.tensor());
            off += s.converted() ? s.deviceBytes() : region;
            if (s.converted()) staging = Math.max(staging, region);
            read += reader.bytesRead(s.tensor());
        }
        return new StageLayout(stage, specs, offsets, DirectTensorReader.alignUp(off, align), read,
                DirectTensorReader.alignUp(staging, align));
    }
}
