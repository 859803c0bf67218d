package io.aircela.engine.sampling;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses tokens from logits: greedy when the temperature is 0, otherwise repetition penalty,
 * top-k, top-p, min-p, temperature and a seeded draw (same seed, same logits: same tokens).
 * Remembers the last {@code repeatLastN} tokens {@link #accept accepted} (prompt included) for the
 * penalty. Allocates only at construction. Not thread-safe: one sampler per generation.
 */
public final class Sampler {
    private final SamplingOptions options;
    private final SplittableRandom random;
    private final Candidates candidates;
    private final float[] work;
    private final boolean[] seen;
    private final int[] recent;   // ring of the last repeatLastN tokens
    private int recentCount;
    private int recentNext;
    private final int[] ordered;  // the ring unrolled, oldest first

    /** A sampler over a vocabulary of {@code vocab} tokens. */
    public Sampler(SamplingOptions options, int vocab) {
        this.options = options;
        long seed = options.seed() == SamplingOptions.RANDOM_SEED ? ThreadLocalRandom.current().nextLong() : options.seed();
        this.random = new SplittableRandom(seed);
        this.candidates = new Candidates(vocab);
        this.work = new float[vocab];
        this.seen = new boolean[vocab];
        this.recent = new int[Math.max(options.repeatLastN(), 1)];
        this.ordered = new int[recent.length];
    }

    public SamplingOptions options() {
        return options;
    }

    /** Records a token of the sequence (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (options.repeatLastN() == 0) return;
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** The next token for {@code logits} ({@code vocab} floats; not modified). */
    public int sample(float[] logits) {
        System.arraycopy(logits, 0, work, 0, work.length);
        if (options.repeatPenalty() != 1f && recentCount > 0) {
            for (int i = 0; i < recentCount; i++) ordered[i] = recent[(recentNext - recentCount + i + recent.length) % recent.length];
            SamplingStages.repetitionPenalty(work, ordered, recentCount, options.repeatPenalty(), seen);
        }
        if (options.isGreedy()) return SamplingStages.argmax(work);
        candidates.reset(work);
        SamplingStages.topK(candidates, options.topK());
        SamplingStages.topP(candidates, options.topP(), 1);
        SamplingStages.minP(candidates, options.minP(), 1);
        SamplingStages.temperature(candidates, options.temperature());
        return SamplingStages.draw(candidates, random.nextDouble());
    }
}
