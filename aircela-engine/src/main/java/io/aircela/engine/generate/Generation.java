package io.aircela.engine.generate;

import io.aircela.engine.sampling.Sampler;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A running generation: iterate it to receive {@link Token}s as they are produced. The prompt is
 * processed on the first {@link #hasNext()}. A token is yielded once it is final: after its text
 * passed the stop-string check and after the model computed it (so the next token is already known;
 * an end-of-generation token is never yielded, and the last yielded token carries any text held back).
 *
 * <p>Closing stops early ({@link StopReason#CANCELLED}) and frees what the generation held (its
 * session too, when the engine made one for it). Not thread-safe; iterate it once.
 */
public final class Generation implements Iterable<Token>, Iterator<Token>, AutoCloseable {
    private static final int[] NONE = new int[0];
    private final Session session;
    private final int[] prompt;
    private final Sampler sampler;
    private final int maxTokens;
    private final StopStringFilter stops;
    private final TextCodec codec;
    private final TextCodec.Stream text;
    private final boolean ownsSession;
    private final StringBuilder output = new StringBuilder();
    private boolean started;
    private int next = -1;       // sampled, not yet yielded
    private int generated;
    private StopReason stopReason;
    private long promptNanos, decodeNanos;
    private int promptTokens, decodeSteps;

    Generation(Session session, int[] prompt, Sampler sampler, int maxTokens, StopStringFilter stops, TextCodec codec,
               boolean ownsSession) {
        this.session = session;
        this.prompt = prompt.clone();
        this.sampler = sampler;
        this.maxTokens = maxTokens;
        this.stops = stops;
        this.codec = codec;
        this.text = codec.newStream();
        this.ownsSession = ownsSession;
    }

    @Override
    public Iterator<Token> iterator() {
        return this;
    }

    @Override
    public boolean hasNext() {
        if (!started) start();
        return stopReason == null;
    }

    @Override
    public Token next() {
        if (!hasNext()) throw new NoSuchElementException("generation ended: " + stopReason);
        session.checkOpen();
        int token = next;
        generated++;
        session.push(token);
        String out = stops.accept(text.accept(token));
        if (stops.stopped()) {
            stopReason = StopReason.STOP;
        } else if (generated == maxTokens) {
            out += finish(StopReason.LENGTH);
        } else if (session.position() + session.pending() > session.contextLength()) {
            out += finish(StopReason.CONTEXT_FULL);
        } else {
            long t0 = System.nanoTime();
            sampler.accept(token);
            session.feed(NONE, null);
            next = sampler.sample(session.lastLogits());
            decodeNanos += System.nanoTime() - t0;
            decodeSteps++;
            if (codec.isEndOfGeneration(next)) {
                session.push(next); // kept in the sequence so a chat's next turn follows it
                out += finish(StopReason.EOS);
            }
        }
        output.append(out);
        if (stopReason != null && ownsSession) session.close();
        return new Token(token, out);
    }

    private void start() {
        started = true;
        session.checkOpen();
        if (maxTokens == 0) {
            for (int t : prompt) session.push(t);
            stopReason = StopReason.LENGTH;
            return;
        }
        long t0 = System.nanoTime();
        promptTokens = prompt.length + session.pending();
        session.feed(prompt, null);
        for (int t : prompt) sampler.accept(t);
        next = sampler.sample(session.lastLogits());
        promptNanos = System.nanoTime() - t0;
        if (codec.isEndOfGeneration(next)) {
            session.push(next);
            stopReason = StopReason.EOS;
        }
    }

    private String finish(StopReason reason) {
        stopReason = reason;
        String tail = stops.accept(text.flush());
        if (stops.stopped()) stopReason = StopReason.STOP;
        else tail += stops.flush();
        return tail;
    }

    /** Why it ended, or null while running. */
    public StopReason stopReason() {
        return stopReason;
    }

    /** Tokens yielded so far. */
    public int generatedTokens() {
        return generated;
    }

    /** The text yielded so far. */
    public String text() {
        return output.toString();
    }

    /** The prompt's token ids (a copy). */
    public int[] promptTokens() {
        return prompt.clone();
    }

    /** Timings so far. */
    public GenerationTimings timings() {
        return new GenerationTimings(session.loadMillis(), promptTokens, promptNanos / 1e6, decodeSteps, decodeNanos / 1e6);
    }

    @Override
    public void close() {
        if (stopReason == null) stopReason = StopReason.CANCELLED;
        if (ownsSession) session.close();
    }
}
