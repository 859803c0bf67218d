package io.aircela.engine.sampling;

/**
 * The sampling stages, each a small function over {@link Candidates}, with llama.cpp's semantics.
 * {@link Sampler} chains them; tests call them one by one.
 */
public final class SamplingStages {
    private SamplingStages() {
    }

    /**
     * Repetition penalty on raw logits, as llama.cpp: each distinct token among
     * {@code recent[0 .. count)} gets {@code logit > 0 ? logit / penalty : logit * penalty}, once.
     * {@code seen} is scratch space of vocabulary size, left all false.
     */
    public static void repetitionPenalty(float[] logits, int[] recent, int count, float penalty, boolean[] seen) {
        if (penalty == 1f || count == 0) return;
        for (int i = 0; i < count; i++) {
            int t = recent[i];
            if (t < 0 || t >= logits.length || seen[t]) continue;
            seen[t] = true;
            logits[t] = logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty;
        }
        for (int i = 0; i < count; i++) if (recent[i] >= 0 && recent[i] < seen.length) seen[recent[i]] = false;
    }

    /** The id of the largest logit (the lowest id among ties). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Keeps the {@code k} most likely tokens, sorted by descending logit ({@code k <= 0}: keeps all, sorted). */
    public static void topK(Candidates c, int k) {
        c.sortDescending(k);
    }

    /**
     * Keeps the smallest prefix (by descending probability) whose probability mass reaches {@code p},
     * at least {@code minKeep} tokens. Probabilities are taken over the current candidates.
     */
    public static void topP(Candidates c, float p, int minKeep) {
        if (p >= 1f) return;
        if (!c.sorted) c.sortDescending(0);
        c.softmax();
        double cum = 0;
        for (int i = 0; i < c.size; i++) {
            cum += c.probs[i];
            if (cum >= p && i + 1 >= minKeep) {
                c.truncate(i + 1);
                return;
            }
        }
    }

    /**
     * Drops tokens whose probability is below {@code p} times the most likely one's, i.e. whose logit
     * is below {@code maxLogit + ln(p)}; keeps at least {@code minKeep}.
     */
    public static void minP(Candidates c, float p, int minKeep) {
        if (p <= 0f || c.size == 0) return;
        if (!c.sorted) c.sortDescending(0);
        float threshold = c.logits[0] + (float) Math.log(p);
        int keep = c.size;
        for (int i = minKeep; i < c.size; i++) {
            if (c.logits[i] < threshold) {
                keep = i;
                break;
            }
        }
        c.truncate(Math.max(keep, Math.min(minKeep, c.size)));
    }

    /** Divides the logits by {@code t} (above 0). */
    public static void temperature(Candidates c, float t) {
        for (int i = 0; i < c.size; i++) c.logits[i] /= t;
    }

    /** Draws a candidate in proportion to its softmax probability, with {@code u} uniform in [0, 1). */
    public static int draw(Candidates c, double u) {
        c.softmax();
        double cum = 0;
        for (int i = 0; i < c.size; i++) {
            cum += c.probs[i];
            if (u < cum) return c.ids[i];
        }
        return c.ids[c.size - 1]; // rounding left u just above the total
    }
}
