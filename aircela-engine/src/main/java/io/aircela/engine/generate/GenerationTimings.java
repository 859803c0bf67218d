package io.aircela.engine.generate;

/**
 * Wall-clock timings of one generation.
 *
 * @param loadMillis      time it took to open the model (the engine's load), milliseconds
 * @param promptTokens    prompt tokens processed (prefill)
 * @param promptMillis    prefill time, milliseconds
 * @param decodeTokens    decode steps run (one forward pass each)
 * @param decodeMillis    decode time including sampling, milliseconds
 */
public record GenerationTimings(double loadMillis, int promptTokens, double promptMillis, int decodeTokens,
                                double decodeMillis) {

    /** Prompt tokens per second (0 when nothing was timed). */
    public double promptTokensPerSecond() {
        return promptMillis > 0 ? promptTokens * 1000.0 / promptMillis : 0;
    }

    /** Decode tokens per second (0 when nothing was timed). */
    public double decodeTokensPerSecond() {
        return decodeMillis > 0 ? decodeTokens * 1000.0 / decodeMillis : 0;
    }
}
