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

    /**
     * Embedding, final norm and LM head. A streaming provider may leave the LM head out
     * ({@code output() == null}); the forward pass gets it from {@link #acquireOutput()}.
     */
    GlobalWeights global();

    /** Layer {@code layer}'s weights, valid until {@link #release}. */
    LayerWeights acquire(int layer);

    /** The forward pass is done with {@code weights}. */
    void release(LayerWeights weights);

    /**
     * The LM head {@code (vocab, dim)}, valid until {@link #releaseOutput}: called after the last layer.
     * A streaming provider may load it like a layer.
     */
    default Weight acquireOutput() {
        return global().output();
    }

    /** The forward pass is done with the LM head. */
    default void releaseOutput(Weight output) {
        // resident: nothing to give back
    }

    /**
     * No forward pass will run for a while (a sequence ended or was cancelled): stop background work
     * and give back what is loaded ahead. The next {@link #acquire} starts again.
     */
    default void pause() {
        // nothing runs in the background
    }

    @Override
    void close();
}
