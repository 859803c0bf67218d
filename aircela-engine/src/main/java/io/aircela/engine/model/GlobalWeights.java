package io.aircela.engine.model;

/**
 * The weights outside the blocks, used on every token.
 *
 * @param tokenEmbedding (vocab, dim) looked up with GetRows
 * @param outputNorm     (dim) final RMSNorm weight
 * @param output         (vocab, dim) the LM head; the same weight as {@code tokenEmbedding} when tied
 */
public record GlobalWeights(Weight tokenEmbedding, Weight outputNorm, Weight output) {
}
