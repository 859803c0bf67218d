package io.aircela.engine.model;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Llama 1/2/3, TinyLlama, and Mistral without a sliding window: pre-norm blocks with RMSNorm,
 * rotary attention (GQA allowed) and a SwiGLU feed-forward network. Q/K/V biases are used when a
 * conversion carries them.
 */
public final class LlamaArchitecture implements Architecture {
    @Override
    public String name() {
        return "llama";
    }

    @Override
    public List<String> fileNames() {
        return List.of("llama", "mistral");
    }

    @Override
    public Set<LayerTensor> optionalTensors() {
        return EnumSet.of(LayerTensor.ATTN_Q_BIAS, LayerTensor.ATTN_K_BIAS, LayerTensor.ATTN_V_BIAS);
    }
}
