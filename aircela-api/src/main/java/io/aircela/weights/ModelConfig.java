package io.aircela.weights;

/**
 * The hyper-parameters of a decoder-only transformer, derived from a model file's metadata and
 * checked against its tensors.
 *
 * @param architecture  e.g. {@code llama}, {@code qwen2}
 * @param contextLength context the model was trained for
 * @param dim           embedding width
 * @param layers        transformer blocks
 * @param heads         query heads
 * @param kvHeads       key/value heads (less than {@code heads} for grouped-query attention)
 * @param headDim       width of one head ({@code dim / heads} unless the file says otherwise)
 * @param ffnDim        hidden width of the feed-forward network
 * @param vocabSize     rows of the token embedding
 * @param ropeBase      rotary frequency base (theta)
 * @param ropeDims      dimensions of a head that are rotated
 * @param ropeStyle     pairing of rotated dimensions
 * @param normEps       RMSNorm epsilon
 * @param tiedEmbeddings {@code true} when there is no separate output head (use the embedding)
 * @param bosId         beginning-of-sequence token id, or {@code -1}
 * @param eosId         end-of-sequence token id, or {@code -1}
 */
public record ModelConfig(
        String architecture,
        int contextLength,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnDim,
        int vocabSize,
        float ropeBase,
        int ropeDims,
        RopeStyle ropeStyle,
        float normEps,
        boolean tiedEmbeddings,
        int bosId,
        int eosId) {

    /** Width of the key/value projections: {@code kvHeads * headDim}. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Query heads that share one key/value head. */
    public int groupSize() {
        return heads / kvHeads;
    }
}
