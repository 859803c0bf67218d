package io.aircela.cli;

import io.aircela.engine.sampling.SamplingOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;

/**
 * How tokens are generated, shared by {@code run} and {@code chat}: how many ({@code -n}), when to stop
 * ({@code --stop}) and how each one is sampled, with llama.cpp's flag names and defaults.
 */
final class SamplingOptionsMixin {
    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "128",
            description = "tokens to generate at most (-1 = until end of text or a full context; default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.8",
            description = "temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40",
            description = "keep the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95",
            description = "keep the most likely tokens whose probabilities sum to P; 1 = all (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05",
            description = "drop tokens less likely than P times the most likely one; 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "penalize recently seen tokens; 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "how many recent tokens the repeat penalty looks at (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, paramLabel = "SEED", description = "random seed (default: a random one)")
    Long seed;

    @Option(names = "--stop", paramLabel = "STR",
            description = "stop when this text appears (not printed); repeatable")
    List<String> stops = new ArrayList<>();

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** The sampling options these flags describe; a usage error for values out of range. */
    SamplingOptions samplingOptions() {
        check(Float.isFinite(temperature) && temperature >= 0, "--temp must be 0 or more, was " + temperature);
        check(topK >= 0, "--top-k must be 0 (all) or more, was " + topK);
        check(topP >= 0 && topP <= 1, "--top-p must be in [0, 1], was " + topP);
        check(minP >= 0 && minP <= 1, "--min-p must be in [0, 1], was " + minP);
        check(Float.isFinite(repeatPenalty) && repeatPenalty > 0, "--repeat-penalty must be above 0, was " + repeatPenalty);
        check(repeatLastN >= 0, "--repeat-last-n must be 0 or more, was " + repeatLastN);
        long s = seed != null ? seed : SamplingOptions.RANDOM_SEED;
        return new SamplingOptions(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s);
    }

    /** {@code -n} as the engine takes it: -1 means no limit but the context. */
    int maxTokens() {
        check(maxTokens >= -1, "-n must be -1 (no limit) or more, was " + maxTokens);
        return maxTokens == -1 ? Integer.MAX_VALUE : maxTokens;
    }

    /** The stop strings (empty ones are refused: they would stop before the first token). */
    List<String> stops() {
        for (String s : stops) check(!s.isEmpty(), "--stop needs a non-empty text");
        return List.copyOf(stops);
    }

    private void check(boolean ok, String message) {
        if (!ok) throw new ParameterException(spec.commandLine(), message);
    }
}
