package io.aircela.engine.model;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Qwen2 / Qwen2.5: the Llama block plus biases on the query, key and value projections (added after
 * the projections) and NEOX-style rotary pairing (which {@link io.aircela.weights.ModelConfig#ropeStyle()}
 * already says).
 */
public final class Qwen2Architecture implements Architecture {
    @Override
    public String name() {
        return "qwen2";
    }

    @Override
    public List<String> fileNames() {
        return List.of("qwen2");
    }

    @Override
    public Set<LayerTensor> requiredTensors() {
        Set<LayerTensor> s = EnumSet.copyOf(Architecture.super.requiredTensors());
        s.addAll(EnumSet.of(LayerTensor.ATTN_Q_BIAS, LayerTensor.ATTN_K_BIAS, LayerTensor.ATTN_V_BIAS));
        return s;
    }
}
