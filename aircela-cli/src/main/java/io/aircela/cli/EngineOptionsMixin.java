package io.aircela.cli;

import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.store.ModelLocator;
import io.aircela.quant.QuantType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The flags that say which model to open and how to run it, shared by {@code run}, {@code chat} and
 * {@code score}: {@code -m -c -t --backend --kv-type --memory-budget --prefetch-depth --direct-io}. Validated before anything is opened, so a bad
 * value is a usage error (exit 2), never an exception from deep inside the engine.
 */
final class EngineOptionsMixin {
    /** KV cache element types the engine offers (the on-disk spelling, case-insensitive on the command line). */
    enum KvType { F32, F16 }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "a GGUF file, an HF model "
            + "folder, an Ollama name (llama3.2:1b) or a HuggingFace repo id (org/name[@rev]); see 'aircela list'")
    String model;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "positions the KV cache holds (0 = the model's context, at most "
                    + EngineOptions.DEFAULT_MAX_CONTEXT + "; default: ${DEFAULT-VALUE})")
    int contextLength;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "worker threads (default: the available cores)")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "compute backend (see 'aircela backends'; default: the best one found)")
    String backend;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "F32",
            description = "KV cache element type: f32 or f16 (default: f32)")
    KvType kvType;

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "memory for weights, KV cache and activations, e.g. 512M or 4G; layers that do not fit are"
                    + " streamed from the file (default: everything resident when it fits in free memory)")
    String memoryBudget;

    @Option(names = "--prefetch-depth", paramLabel = "N|auto", defaultValue = "auto",
            description = "layer loads kept in flight ahead of compute when streaming; 0 = load, compute, free"
                    + " (default: ${DEFAULT-VALUE})")
    String prefetchDepth;

    @Option(names = "--direct-io", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "read streamed layers with the page cache bypassed (O_DIRECT) where the file system allows;"
                    + " --no-direct-io reads them through the page cache (default: direct)")
    boolean directIo = true;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** The engine options these flags describe; a usage error for values out of range. */
    EngineOptions engineOptions() {
        if (contextLength < 0) throw usage("-c must be 0 (the model's context) or more, was " + contextLength);
        if (threads != null && threads < 1) throw usage("-t must be at least 1, was " + threads);
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        return new EngineOptions(backend, n, contextLength, QuantType.valueOf(kvType.name()), budget(), depth(), directIo);
    }

    private long budget() {
        if (memoryBudget == null) return EngineOptions.AUTO_BUDGET;
        try {
            return ByteSize.parse(memoryBudget);
        } catch (IllegalArgumentException e) {
            throw usage("--memory-budget: " + e.getMessage());
        }
    }

    private int depth() {
        if (prefetchDepth.strip().equalsIgnoreCase("auto")) return EngineOptions.AUTO_DEPTH;
        try {
            int d = Integer.parseInt(prefetchDepth.strip());
            if (d >= 0 && d <= EngineOptions.MAX_PREFETCH_DEPTH) return d;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw usage("--prefetch-depth must be 'auto' or 0.." + EngineOptions.MAX_PREFETCH_DEPTH + ", was '"
                + prefetchDepth + "'");
    }

    /** Opens the model with these options (checked first) and prints its memory plan on stderr. */
    AirCela open() {
        EngineOptions options = engineOptions();
        AirCela ai = AirCela.open(ModelLocator.fromEnvironment().resolve(model), options);
        // the plan matters when memory is planned; a model that simply fits keeps stderr to its one summary line
        if (ai.plan().streaming() || ai.plan().budgetGiven()) {
            PrintWriter err = spec.commandLine().getErr();
            err.print(ai.plan().describe());
            err.flush();
        }
        return ai;
    }

    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
