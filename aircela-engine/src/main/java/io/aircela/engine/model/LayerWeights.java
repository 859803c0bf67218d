package io.aircela.engine.model;

/**
 * One transformer block's weights on the device, as the forward pass reads them. Shapes are
 * {@code (rows, cols)}; {@code q = heads * headDim}, {@code kv = kvHeads * headDim}.
 *
 * @param index    layer number
 * @param attnNorm (dim) RMSNorm weight before attention
 * @param wq       (q, dim)
 * @param wk       (kv, dim)
 * @param wv       (kv, dim)
 * @param bq       (q) query bias, or null
 * @param bk       (kv) key bias, or null
 * @param bv       (kv) value bias, or null
 * @param wo       (dim, q)
 * @param ffnNorm  (dim) RMSNorm weight before the feed-forward network
 * @param wGate    (ffn, dim)
 * @param wUp      (ffn, dim)
 * @param wDown    (dim, ffn)
 */
public record LayerWeights(int index, Weight attnNorm, Weight wq, Weight wk, Weight wv, Weight bq, Weight bk,
                           Weight bv, Weight wo, Weight ffnNorm, Weight wGate, Weight wUp, Weight wDown) {
}
