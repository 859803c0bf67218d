package io.aircela.weights;

import java.util.List;

/**
 * The tensors of one transformer layer and where they lie, so a layer can be read or streamed
 * without touching the data.
 *
 * @param index     layer number ({@code N} in {@code blk.N.*})
 * @param tensors   the layer's tensors in file order
 * @param firstByte lowest byte offset of any of its tensors
 * @param endByte   one past the highest byte of any of its tensors
 * @param byteSize  sum of the tensors' sizes (what a copy of the layer needs)
 */
public record LayerInfo(int index, List<TensorInfo> tensors, long firstByte, long endByte, long byteSize) {
    public LayerInfo {
        tensors = List.copyOf(tensors);
    }

    /** The tensor whose name ends with {@code suffix} (e.g. {@code "attn_q.weight"}), or null. */
    public TensorInfo tensor(String suffix) {
        for (TensorInfo t : tensors) if (t.name().endsWith("." + suffix)) return t;
        return null;
    }
}
