package io.aircela.engine.model;

import io.aircela.weights.ModelConfig;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What sets one decoder-only architecture apart from the Llama baseline: the names it goes by in
 * model files and which block tensors it has. The forward pass ({@link Transformer}) is shared; an
 * architecture only states data, so adding one is one small class registered in {@link Architectures}.
 * Rotary style, epsilon and head counts come from the file through {@link ModelConfig}.
 */
public interface Architecture {

    /** Canonical name, e.g. {@code llama}. */
    String name();

    /** The {@code general.architecture} values this class runs. */
    List<String> fileNames();

    /** Block tensors every layer must have. */
    default Set<LayerTensor> requiredTensors() {
        return EnumSet.of(LayerTensor.ATTN_NORM, LayerTensor.ATTN_Q, LayerTensor.ATTN_K, LayerTensor.ATTN_V,
                LayerTensor.ATTN_OUTPUT, LayerTensor.FFN_NORM, LayerTensor.FFN_GATE, LayerTensor.FFN_UP,
                LayerTensor.FFN_DOWN);
    }

    /** Block tensors used when present (e.g. biases some Llama conversions carry). */
    default Set<LayerTensor> optionalTensors() {
        return EnumSet.noneOf(LayerTensor.class);
    }
}
