package io.aircela.engine;

import io.aircela.quant.QuantType;

/**
 * How {@link AirCela} runs a model.
 *
 * @param backend       compute backend name ({@code "cpu"} ...), or null to let
 *                      {@link io.aircela.provider.Providers#selectBackend} choose
 * @param threads       worker threads for CPU work (at least 1)
 * @param contextLength positions the KV cache holds; 0 = the model's context, at most 4096
 * @param kvType        KV cache element type, F32 (default) or F16
 */
public record EngineOptions(String backend, int threads, int contextLength, QuantType kvType) {
    /** Context length used when none is given and the model's is larger. */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    public EngineOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        if (contextLength < 0) throw new IllegalArgumentException("context length must be 0 (model default) or more, was "
                + contextLength);
        if (kvType != QuantType.F32 && kvType != QuantType.F16)
            throw new IllegalArgumentException("KV cache type must be F32 or F16, was " + kvType);
    }

    /** Best backend, all cores, default context, F32 cache. */
    public static EngineOptions defaults() {
        return new EngineOptions(null, Runtime.getRuntime().availableProcessors(), 0, QuantType.F32);
    }

    public EngineOptions withBackend(String name) {
        return new EngineOptions(name, threads, contextLength, kvType);
    }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(backend, n, contextLength, kvType);
    }

    public EngineOptions withContextLength(int n) {
        return new EngineOptions(backend, threads, n, kvType);
    }

    public EngineOptions withKvType(QuantType type) {
        return new EngineOptions(backend, threads, contextLength, type);
    }

    /** The context length for a model trained for {@code modelContext} positions. */
    public int effectiveContext(int modelContext) {
        return contextLength > 0 ? contextLength : Math.min(modelContext, DEFAULT_MAX_CONTEXT);
    }
}
