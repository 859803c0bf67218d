package io.aircela.engine.generate;

import io.aircela.ContextOverflowException;
import io.aircela.engine.model.RunState;
import io.aircela.engine.model.Transformer;
import io.aircela.engine.sampling.Sampler;
import io.aircela.engine.sampling.SamplingOptions;

import java.util.Arrays;
import java.util.List;

/**
 * One sequence with its own KV cache: tokens appended to it are computed once and stay in the
 * cache, so a chat continues without re-processing its history. Scoring, prompt processing and
 * generation all go through {@link #feed}.
 *
 * <p>Made by {@code AirCela.newSession()}; owns its {@link RunState} (activations and KV cache) and
 * frees it on {@link #close()} (twice is harmless); afterwards every method throws
 * {@link IllegalStateException}. Not thread-safe, and at most one {@link Generation} at a time.
 */
public final class Session implements AutoCloseable {
    private final Transformer model;
    private final RunState state;
    private final TextCodec codec;
    private final double loadMillis;
    private final Runnable onClose;
    private final float[] logits;
    private int[] history = new int[64]; // tokens in the KV cache, then tokens decided but not yet computed
    private int computed;                // tokens in the KV cache
    private int size;                    // computed + pending
    private boolean closed;

    /**
     * @param model      the forward pass
     * @param state      activations and KV cache (owned from now on)
     * @param codec      text side of the model
     * @param loadMillis the engine's load time, for timings
     * @param onClose    called once when this session closes
     */
    public Session(Transformer model, RunState state, TextCodec codec, double loadMillis, Runnable onClose) {
        this.model = model;
        this.state = state;
        this.codec = codec;
        this.loadMillis = loadMillis;
        this.onClose = onClose;
        this.logits = new float[model.config().vocabSize()];
    }

    /** Positions already in the KV cache. */
    public int position() {
        checkOpen();
        return computed;
    }

    /** Positions the KV cache holds. */
    public int contextLength() {
        return state.kv().spec().contextLength();
    }

    /** Every token of the sequence so far, including ones decided but not yet computed. */
    public int[] tokens() {
        checkOpen();
        return Arrays.copyOf(history, size);
    }

    /** Forgets the sequence (the cache is overwritten from position 0). */
    public void reset() {
        checkOpen();
        computed = size = 0;
    }

    /**
     * Teacher forcing: appends {@code tokens} and hands the logits after each of them to {@code sink}.
     *
     * @throws ContextOverflowException before computing anything, when the tokens do not fit
     */
    public void score(int[] tokens, LogitsConsumer sink) {
        feed(tokens, sink);
    }

    /** Appends {@code tokens} (prompt processing) and returns the logits after the last one (a copy). */
    public float[] append(int[] tokens) {
        feed(tokens, null);
        return logits.clone();
    }

    /**
     * Generates after {@code text} (tokenized with the model's BOS only if the session is empty).
     *
     * @param maxTokens at most this many tokens are generated
     * @param stops     stop strings (may be empty)
     */
    public Generation generate(String text, SamplingOptions sampling, int maxTokens, List<String> stops) {
        checkOpen();
        return generate(codec.encode(text, size == 0), sampling, maxTokens, stops);
    }

    /** Generates after the token ids {@code prompt}. */
    public Generation generate(int[] prompt, SamplingOptions sampling, int maxTokens, List<String> stops) {
        return startGeneration(prompt, sampling, maxTokens, stops, false);
    }

    /** Like {@link #generate(int[], SamplingOptions, int, List)}, but the generation closes this session when it ends. */
    public Generation generateOwning(int[] prompt, SamplingOptions sampling, int maxTokens, List<String> stops) {
        return startGeneration(prompt, sampling, maxTokens, stops, true);
    }

    private Generation startGeneration(int[] prompt, SamplingOptions sampling, int maxTokens, List<String> stops,
                               boolean ownsSession) {
        checkOpen();
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be 0 or more, was " + maxTokens);
        checkFits(prompt.length);
        Sampler sampler = new Sampler(sampling, model.config().vocabSize());
        return new Generation(this, prompt, sampler, maxTokens, new StopStringFilter(stops), codec, ownsSession);
    }

    /**
     * Computes pending tokens and {@code tokens}; when {@code sink} is given it receives the logits
     * after each of {@code tokens}, else only the last position's logits are computed (into {@link #logits}).
     */
    void feed(int[] tokens, LogitsConsumer sink) {
        checkOpen();
        checkFits(tokens.length);
        int start = size;
        for (int t : tokens) push(t);
        int batch = state.maxBatch();
        boolean ran = computed < size;
        while (computed < size) {
            int n = Math.min(batch, size - computed);
            boolean all = sink != null && computed + n > start;
            model.forward(state, history, computed, n, computed, all);
            if (all) {
                for (int i = Math.max(0, start - computed); i < n; i++) {
                    state.readLogits(i, logits);
                    sink.accept(computed + i - start, logits);
                }
            }
            computed += n;
        }
        if (sink == null && ran) state.readLogits(0, logits);
    }

    /** Logits after the last computed token (valid after {@link #feed} without a sink). */
    float[] lastLogits() {
        return logits;
    }

    /** Records a token as part of the sequence without computing it yet. */
    void push(int token) {
        if (size == history.length) history = Arrays.copyOf(history, size * 2);
        history[size++] = token;
    }

    /** Tokens not yet in the cache. */
    int pending() {
        return size - computed;
    }

    double loadMillis() {
        return loadMillis;
    }

    private void checkFits(int more) {
        long needed = (long) size + more;
        if (needed > contextLength()) throw new ContextOverflowException((int) Math.min(needed, Integer.MAX_VALUE), contextLength());
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("session is closed (or its engine was)");
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            state.close();
        } finally {
            onClose.run();
        }
    }
}
