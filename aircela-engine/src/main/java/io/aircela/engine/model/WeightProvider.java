package io.aircela.engine.model;

/**
 * Where the forward pass gets weights, one layer at a time: the seam where layer streaming plugs in.
 * The forward pass calls {@link #acquire} right before computing a layer and {@link #release} right
 * after, so a streaming provider can load a layer into a slot and reuse the slot afterwards; a
 * resident provider returns what it holds and does nothing on release.
 *
 * <p>Ownership: the provider owns every buffer it hands out; closing frees them (twice is harmless).
 * Not thread-safe: one forward pass at a time.
 */
public interface WeightProvider extends AutoCloseable {

    /** Embedding, final norm and LM head. */
    GlobalWeights global();

    /** Layer {@code layer}'s weights, valid until {@link #release}. */
    LayerWeights acquire(int layer);

    /** The forward pass is done with {@code weights}. */
    void release(LayerWeights weights);

    @Override
    void close();
}
