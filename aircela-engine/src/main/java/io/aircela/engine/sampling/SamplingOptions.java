package io.aircela.engine.sampling;

/**
 * How the next token is chosen from the logits, with llama.cpp's meanings and defaults.
 *
 * @param temperature   0 = greedy (argmax after the repetition penalty); otherwise logits are divided by it
 * @param topK          keep the k most likely tokens ({@code <= 0}: all)
 * @param topP          keep the smallest set whose probability reaches p ({@code >= 1}: all)
 * @param minP          drop tokens less likely than {@code minP} times the most likely one ({@code <= 0}: none)
 * @param repeatPenalty divide positive (multiply negative) logits of recently seen tokens by this; 1 = off
 * @param repeatLastN   how many recent tokens (prompt included) the penalty looks at
 * @param seed          random seed; {@link #RANDOM_SEED} draws one per sampler
 */
public record SamplingOptions(float temperature, int topK, float topP, float minP, float repeatPenalty,
                              int repeatLastN, long seed) {
    /** Seed value meaning "pick one at random". */
    public static final long RANDOM_SEED = -1;

    public SamplingOptions {
        if (!(temperature >= 0) || Float.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be 0 or more, was " + temperature);
        if (!(topP >= 0)) throw new IllegalArgumentException("top-p must be 0 or more, was " + topP);
        if (!(minP >= 0) || minP > 1) throw new IllegalArgumentException("min-p must be in [0, 1], was " + minP);
        if (!(repeatPenalty > 0)) throw new IllegalArgumentException("repeat penalty must be above 0, was " + repeatPenalty);
        if (repeatLastN < 0) throw new IllegalArgumentException("repeat-last-n must be 0 or more, was " + repeatLastN);
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition penalty (last 64), random seed. */
    public static SamplingOptions defaults() {
        return new SamplingOptions(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, RANDOM_SEED);
    }

    /** Always the most likely token. */
    public static SamplingOptions greedy() {
        return new SamplingOptions(0f, 40, 0.95f, 0.05f, 1.0f, 64, RANDOM_SEED);
    }

    public SamplingOptions withTemperature(float t) {
        return new SamplingOptions(t, topK, topP, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingOptions withTopK(int k) {
        return new SamplingOptions(temperature, k, topP, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingOptions withTopP(float p) {
        return new SamplingOptions(temperature, topK, p, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingOptions withMinP(float p) {
        return new SamplingOptions(temperature, topK, topP, p, repeatPenalty, repeatLastN, seed);
    }

    public SamplingOptions withRepeatPenalty(float penalty, int lastN) {
        return new SamplingOptions(temperature, topK, topP, minP, penalty, lastN, seed);
    }

    public SamplingOptions withSeed(long s) {
        return new SamplingOptions(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s);
    }

    /** Whether this picks the argmax. */
    public boolean isGreedy() {
        return temperature == 0f;
    }
}
