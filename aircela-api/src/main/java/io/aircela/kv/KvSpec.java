package io.aircela.kv;

import io.aircela.quant.QuantType;

/**
 * Shape of a KV cache.
 *
 * @param layers        transformer layers
 * @param contextLength positions the cache holds
 * @param kvDim         floats per position per layer for keys (and again for values): kvHeads * headDim
 * @param type          element type, F32 or F16
 */
public record KvSpec(int layers, int contextLength, int kvDim, QuantType type) {
    public KvSpec {
        if (layers < 1 || contextLength < 1 || kvDim < 1)
            throw new IllegalArgumentException("KV cache needs positive layers, context and width: " + layers + ", "
                    + contextLength + ", " + kvDim);
        if (type != QuantType.F32 && type != QuantType.F16)
            throw new IllegalArgumentException("KV cache type must be F32 or F16, was " + type);
    }

    /** Elements of one layer's keys (and, again, values). */
    public long elementsPerLayer() {
        return Math.multiplyExact((long) contextLength, kvDim);
    }

    /** Total bytes of keys and values over all layers. */
    public long bytes() {
        return Math.multiplyExact(2L * layers, type.byteSize(elementsPerLayer()));
    }
}
