package io.aircela.engine.sampling;

import java.util.Arrays;

/**
 * The tokens still in the running while sampling, with their logits and (after {@link #softmax()})
 * probabilities. Reused for every token: no allocation after construction. Each stage narrows or
 * reweights the set, in llama.cpp's order (penalty, top-k, top-p, min-p, temperature, draw).
 * Not thread-safe.
 */
public final class Candidates {
    final int[] ids;
    final float[] logits;
    final float[] probs;
    private final long[] keys;
    int size;
    boolean sorted;

    /** Room for a vocabulary of {@code vocab} tokens. */
    public Candidates(int vocab) {
        ids = new int[vocab];
        logits = new float[vocab];
        probs = new float[vocab];
        keys = new long[vocab];
    }

    /** Starts over with every token and its logit. */
    public void reset(float[] allLogits) {
        size = allLogits.length;
        for (int i = 0; i < size; i++) {
            ids[i] = i;
            logits[i] = allLogits[i];
        }
        sorted = false;
    }

    /** Tokens left. */
    public int size() {
        return size;
    }

    public int id(int i) {
        return ids[i];
    }

    public float logit(int i) {
        return logits[i];
    }

    public float prob(int i) {
        return probs[i];
    }

    /** Sorts by descending logit (ties: lower id first); only the first {@code k} when {@code 0 < k < size}. */
    public void sortDescending(int k) {
        int n = size;
        for (int i = 0; i < n; i++) keys[i] = ((long) descendingKey(logits[i]) << 32) | ids[i];
        Arrays.sort(keys, 0, n); // ascending key = descending logit; partial selection is not worth its code here
        int keep = k > 0 && k < n ? k : n;
        for (int i = 0; i < keep; i++) {
            int id = (int) keys[i];
            ids[i] = id;
        }
        // logits are re-read from the ids' original values through the key's upper half
        for (int i = 0; i < keep; i++) logits[i] = fromDescendingKey((int) (keys[i] >>> 32));
        size = keep;
        sorted = true;
    }

    /** Probabilities of the remaining candidates from their logits (max-subtracted, normalized). */
    public void softmax() {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < size; i++) {
            float p = (float) Math.exp(logits[i] - max);
            probs[i] = p;
            sum += p;
        }
        for (int i = 0; i < size; i++) probs[i] = (float) (probs[i] / sum);
    }

    /** Keeps only the first {@code n} candidates. */
    void truncate(int n) {
        size = Math.min(size, n);
    }

    // A float's bits mapped to an int whose signed order is the reverse of the floats' order.
    private static int descendingKey(float f) {
        int bits = Float.floatToIntBits(f);
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
        return ~ascending;
    }

    private static float fromDescendingKey(int key) {
        int ascending = ~key;
        int bits = ascending ^ ((ascending >> 31) & 0x7fffffff);
        return Float.intBitsToFloat(bits);
    }
}
