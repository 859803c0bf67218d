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
 * @param memoryBudget  bytes the weights, the KV cache and the activations may occupy; {@link #AUTO_BUDGET}
 *                      (0) = the memory the system reports free, and everything resident when it fits there.
 *                      A budget smaller than the model streams layers (see {@link io.aircela.engine.streaming.StreamingPlan})
 * @param prefetchDepth layer loads kept in flight ahead of compute when streaming (0 = load, compute, free;
 *                      at most {@link #MAX_PREFETCH_DEPTH}), or {@link #AUTO_DEPTH} (-1) to let the plan choose
 * @param directIo      read streamed layers with the page cache bypassed (O_DIRECT) where the file system allows
 *                      (the default): a streamed model is by definition one that does not stay in memory, so
 *                      page-cache copies would cost a memory copy per byte on the CPU the matmuls need and evict
 *                      everything else; the fully resident path keeps its zero-copy mapping either way
 */
public record EngineOptions(String backend, int threads, int contextLength, QuantType kvType, long memoryBudget,
                            int prefetchDepth, boolean directIo) {
    /** Context length used when none is given and the model's is larger. */
    public static final int DEFAULT_MAX_CONTEXT = 4096;
    /** {@link #memoryBudget()} meaning: what the system reports free. */
    public static final long AUTO_BUDGET = 0;
    /** {@link #prefetchDepth()} meaning: chosen by the plan. */
    public static final int AUTO_DEPTH = -1;
    /** Deepest prefetch accepted. */
    public static final int MAX_PREFETCH_DEPTH = 16;

    public EngineOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        if (contextLength < 0) throw new IllegalArgumentException("context length must be 0 (model default) or more, was "
                + contextLength);
        if (kvType != QuantType.F32 && kvType != QuantType.F16)
            throw new IllegalArgumentException("KV cache type must be F32 or F16, was " + kvType);
        if (memoryBudget < 0)
            throw new IllegalArgumentException("memory budget must be 0 (automatic) or more bytes, was " + memoryBudget);
        if (prefetchDepth < AUTO_DEPTH || prefetchDepth > MAX_PREFETCH_DEPTH)
            throw new IllegalArgumentException("prefetch depth must be -1 (auto) or 0.." + MAX_PREFETCH_DEPTH
                    + ", was " + prefetchDepth);
    }

    /** Options without streaming settings: automatic budget and depth, direct reads where possible. */
    public EngineOptions(String backend, int threads, int contextLength, QuantType kvType) {
        this(backend, threads, contextLength, kvType, AUTO_BUDGET, AUTO_DEPTH, true);
    }

    /** Best backend, all cores, default context, F32 cache, automatic budget and prefetch depth. */
    public static EngineOptions defaults() {
        return new EngineOptions(null, Runtime.getRuntime().availableProcessors(), 0, QuantType.F32);
    }

    public EngineOptions withBackend(String name) {
        return new EngineOptions(name, threads, contextLength, kvType, memoryBudget, prefetchDepth, directIo);
    }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(backend, n, contextLength, kvType, memoryBudget, prefetchDepth, directIo);
    }

    public EngineOptions withContextLength(int n) {
        return new EngineOptions(backend, threads, n, kvType, memoryBudget, prefetchDepth, directIo);
    }

    public EngineOptions withKvType(QuantType type) {
        return new EngineOptions(backend, threads, contextLength, type, memoryBudget, prefetchDepth, directIo);
    }

    /** The same options with a memory budget of {@code bytes} ({@link #AUTO_BUDGET} = automatic). */
    public EngineOptions withMemoryBudget(long bytes) {
        return new EngineOptions(backend, threads, contextLength, kvType, bytes, prefetchDepth, directIo);
    }

    /** The same options with prefetch depth {@code depth} ({@link #AUTO_DEPTH} = automatic). */
    public EngineOptions withPrefetchDepth(int depth) {
        return new EngineOptions(backend, threads, contextLength, kvType, memoryBudget, depth, directIo);
    }

    /** The same options reading streamed layers with ({@code true}) or without the page cache bypassed. */
    public EngineOptions withDirectIo(boolean direct) {
        return new EngineOptions(backend, threads, contextLength, kvType, memoryBudget, prefetchDepth, direct);
    }

    /** The context length for a model trained for {@code modelContext} positions. */
    public int effectiveContext(int modelContext) {
        return contextLength > 0 ? contextLength : Math.min(modelContext, DEFAULT_MAX_CONTEXT);
    }
}
