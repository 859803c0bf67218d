package io.aircela.cli;

import io.aircela.engine.AirCela;

/**
 * What {@code score} reports for a sequence of {@code n} tokens.
 *
 * @param ids          the scored token ids (n)
 * @param topIds       per position, the top-K token ids of the logits after that token, most likely first (n, K)
 * @param topLogits    their raw logits (n, K)
 * @param nextLogprobs natural-log probability of token {@code i + 1} after tokens {@code 0..i} (n - 1)
 */
record Scores(int[] ids, int[][] topIds, float[][] topLogits, double[] nextLogprobs) {

    /** Scores {@code ids} on {@code ai}, keeping the {@code k} largest logits per position. */
    static Scores of(AirCela ai, int[] ids, int k) {
        int n = ids.length;
        int[][] topIds = new int[n][];
        float[][] topLogits = new float[n][];
        double[] logprobs = new double[n - 1];
        ai.score(ids, (i, logits) -> {
            topIds[i] = topK(logits, k);
            topLogits[i] = new float[topIds[i].length];
            for (int j = 0; j < topIds[i].length; j++) topLogits[i][j] = logits[topIds[i][j]];
            if (i + 1 < n) logprobs[i] = logSoftmax(logits, ids[i + 1]);
        });
        return new Scores(ids, topIds, topLogits, logprobs);
    }

    /** exp of the mean negative log-probability over the predicted tokens (NaN when there are none). */
    double perplexity() {
        if (nextLogprobs.length == 0) return Double.NaN;
        double sum = 0;
        for (double lp : nextLogprobs) sum += lp;
        return Math.exp(-sum / nextLogprobs.length);
    }

    /** log softmax(logits)[target], in double: logit - max - log(sum exp(logit - max)). */
    static double logSoftmax(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        return logits[target] - max - Math.log(sum);
    }

    /**
     * Ids of the {@code k} largest logits, largest first (ties: lower id first), by insertion into a
     * sorted window of k: O(vocab * k), fine for the handful a person reads.
     */
    static int[] topK(float[] logits, int k) {
        int[] ids = new int[Math.min(k, logits.length)];
        int filled = 0;
        for (int id = 0; id < logits.length; id++) {
            float v = logits[id];
            if (filled == ids.length && !(v > logits[ids[filled - 1]])) continue;
            int at = filled == ids.length ? filled - 1 : filled++;
            while (at > 0 && v > logits[ids[at - 1]]) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = id;
        }
        return ids;
    }
}
