package io.aircela.engine;

import io.aircela.UnsupportedModelException;
import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.LogitsConsumer;
import io.aircela.engine.generate.Session;
import io.aircela.engine.tokenizer.Tokenizer;
import io.aircela.engine.model.Architecture;
import io.aircela.engine.model.Architectures;
import io.aircela.engine.model.ModelTensors;
import io.aircela.engine.model.ResidentWeights;
import io.aircela.engine.model.RunState;
import io.aircela.engine.model.Transformer;
import io.aircela.engine.model.WeightProvider;
import io.aircela.engine.sampling.SamplingOptions;
import io.aircela.engine.streaming.DirectTensorReader;
import io.aircela.engine.streaming.StreamedWeights;
import io.aircela.engine.streaming.StreamingPlan;
import io.aircela.engine.streaming.StreamingPlanner;
import io.aircela.engine.streaming.StreamingStats;
import io.aircela.engine.streaming.TensorReader;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;
import io.aircela.provider.Providers;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.WeightSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An opened model, ready to generate: the library's front door.
 *
 * <pre>{@code
 * try (AirCela engine = AirCela.open(path, EngineOptions.defaults());
 *      Generation g = engine.generate("Once upon a time", SamplingOptions.greedy(), 64)) {
 *     for (Token t : g) System.out.print(t.text());
 *     System.out.println(g.stopReason() + " " + g.timings());
 * }
 * }</pre>
 *
 * <p>Ownership is a tree: the engine owns the weight source (mapped file), the compute backend
 * (its threads and buffers), the uploaded weights, and every {@link Session} it made (each with its
 * KV cache). {@link #close()} frees all of them; closing twice is harmless; afterwards every method
 * throws {@link IllegalStateException}. Not thread-safe: use one engine from one thread at a time.
 */
public final class AirCela implements AutoCloseable {
    /** Most positions one forward call takes; longer prompts go through the layers in chunks of this size. */
    static final int MAX_BATCH = 512;
    private static final Logger LOG = LoggerFactory.getLogger(AirCela.class);

    private final WeightSource source;
    private final ComputeBackend backend;
    private final WeightProvider weights;
    private final StreamingPlan plan;
    private final Transformer model;
    private final TokenizerCodec codec;
    private final EngineOptions options;
    private final int contextLength;
    private final double loadMillis;
    private final Set<Session> sessions = new LinkedHashSet<>();
    private boolean closed;

    private AirCela(WeightSource source, EngineOptions options, long t0) {
        this.source = source;
        this.options = options;
        ModelConfig config = source.config().orElseThrow(() -> new UnsupportedModelException(source.path()
                + " holds no model weights (a vocabulary-only file?); open a model file"));
        Architecture arch = Architectures.forName(config.architecture());
        this.contextLength = options.effectiveContext(config.contextLength());
        this.codec = TokenizerCodec.of(source.metadata(), source.path());
        try {
            this.backend = Providers.selectBackend(options.backend()).create(new BackendOptions(options.threads(), 0));
        } catch (RuntimeException e) {
            codec.close();
            throw e;
        }
        try {
            ModelTensors tensors = new ModelTensors(source, config, arch, backend.capabilities());
            StringBuilder note = new StringBuilder();
            TensorReader reader = openReader(source, options.directIo(), note);
            try {
                this.plan = plan(source, config, tensors, reader, note.toString());
            } catch (RuntimeException e) {
                reader.close();
                throw e;
            }
            LOG.debug("{}", plan.describe());
            // a budget the user gave, or a model larger than free memory: the plan counted the weights as they
            // are, so the backend must not add copies of them (the CPU backend's repacked layouts)
            if (options.memoryBudget() != EngineOptions.AUTO_BUDGET || plan.streaming()) backend.keepWeightsAsUploaded();
            if (plan.streaming()) {
                this.weights = new StreamedWeights(source, tensors, plan, reader, backend);
            } else {
                reader.close();
                this.weights = new ResidentWeights(source, config, arch, backend);
            }
        } catch (RuntimeException | Error e) {
            backend.close();
            codec.close();
            throw e;
        }
        this.model = new Transformer(config, weights, backend);
        this.loadMillis = (System.nanoTime() - t0) / 1e6;
    }

    /** The memory plan under {@link EngineOptions#memoryBudget()}, decided before any weight was read. */
    private StreamingPlan plan(WeightSource source, ModelConfig c, ModelTensors tensors, TensorReader reader, String note) {
        long modelBytes = 0;
        for (var t : source.tensors()) modelBytes += t.byteSize();
        long kvBytes = options.kvType().byteSize((long) contextLength * c.kvDim()) * 2 * c.layers();
        long activations = RunState.activationBytes(c, Math.min(MAX_BATCH, contextLength));
        boolean given = options.memoryBudget() != EngineOptions.AUTO_BUDGET;
        long budget = given ? options.memoryBudget() : StreamingPlanner.availableMemory();
        return StreamingPlanner.plan(new StreamingPlanner.Inputs(tensors, c.layers(), reader, modelBytes, budget, given,
                options.prefetchDepth(), kvBytes, activations, note));
    }

    /** O_DIRECT when asked for and the file system allows it, else reads through the source (with a note why). */
    private static TensorReader openReader(WeightSource source, boolean direct, StringBuilder note) {
        if (!direct) return TensorReader.of(source);
        if (!Files.isRegularFile(source.path()) || !source.format().startsWith("GGUF")) {
            note.append("O_DIRECT reads single GGUF files; ").append(source.format())
                    .append(" is read through the page cache");
            return TensorReader.of(source);
        }
        try {
            return DirectTensorReader.open(source.path());
        } catch (IOException | UnsupportedOperationException e) {
            note.append("the file system refused O_DIRECT (").append(e.getMessage())
                    .append("); streamed layers are read through the page cache");
            return TensorReader.of(source);
        }
    }

    /**
     * Opens the model at {@code path} (any format a {@link io.aircela.weights.WeightSourceProvider} reads)
     * and uploads its weights to the chosen backend.
     *
     * @throws io.aircela.ModelFormatException   for a malformed file
     * @throws UnsupportedModelException        for an architecture this build does not run
     * @throws io.aircela.ConfigurationException when {@link EngineOptions#memoryBudget()} cannot hold the
     *                                           minimum the plan needs (the message names it)
     */
    public static AirCela open(Path path, EngineOptions options) {
        long t0 = System.nanoTime();
        return open(Providers.open(path), options, t0);
    }

    /**
     * Runs an already opened {@code source}; the engine takes ownership (closes it on {@link #close()},
     * and at once when opening fails). For sources that do not come from a file the providers read.
     */
    public static AirCela open(WeightSource source, EngineOptions options) {
        return open(source, options, System.nanoTime());
    }

    private static AirCela open(WeightSource source, EngineOptions options, long t0) {
        try {
            return new AirCela(source, options, t0);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /**
     * The memory plan: what stays resident, what is streamed, slots, bytes read per token
     * ({@link StreamingPlan#describe()} for people). Available after {@link #open}, before the first token.
     */
    public StreamingPlan plan() {
        return plan;
    }

    /**
     * Streaming counters since the engine opened (take two snapshots and {@link StreamingStats#since}
     * for one run). Fully resident engines report zero bytes read and all forward time as compute.
     */
    public StreamingStats streamingStats() {
        checkOpen();
        if (weights instanceof StreamedWeights s) return s.stats(model.forwardNanos(), model.forwardPasses());
        return new StreamingStats(plan.residentLayers(), 0, 0, 0, model.forwardPasses(), 0, 0,
                model.forwardNanos() / 1e6, 0, 0);
    }

    /**
     * Opens the model {@code model} names: a path, an Ollama name or a HuggingFace repo id, resolved by
     * {@link io.aircela.engine.store.ModelLocator#fromEnvironment()} (nothing is downloaded).
     */
    public static AirCela open(String model, EngineOptions options) {
        return open(io.aircela.engine.store.ModelLocator.fromEnvironment().resolve(model), options);
    }

    /** The model's hyper-parameters. */
    public ModelConfig config() {
        checkOpen();
        return model.config();
    }

    /** Positions each session's KV cache holds. */
    public int contextLength() {
        return contextLength;
    }

    /** The backend's name. */
    public String backendName() {
        checkOpen();
        return backend.name();
    }

    /** Milliseconds it took to open the model and upload its weights. */
    public double loadMillis() {
        return loadMillis;
    }

    /** The model's tokenizer (immutable, thread-safe). */
    public Tokenizer tokenizer() {
        checkOpen();
        return codec.tokenizer();
    }

    /**
     * Token ids of {@code text}, with BOS first when {@code addSpecial} and the model adds one.
     * Control-token texts (chat template markers such as {@code <|im_start|>}) are recognised.
     */
    public int[] tokenize(String text, boolean addSpecial) {
        checkOpen();
        return codec.encode(text, addSpecial);
    }

    /**
     * A new, empty sequence with its own KV cache (for chat: each turn appends to it).
     * Closed by the caller or, at the latest, with the engine.
     */
    public Session newSession() {
        checkOpen();
        ModelConfig c = model.config();
        KvStore kv = Providers.selectKvStore(null, backend)
                .create(new KvSpec(c.layers(), contextLength, c.kvDim(), options.kvType()), backend);
        RunState state;
        try {
            state = new RunState(c, backend, kv, Math.min(MAX_BATCH, contextLength));
        } catch (RuntimeException e) {
            kv.close();
            throw e;
        }
        Session[] self = new Session[1];
        Session s = new Session(model, state, codec, loadMillis, () -> {
            sessions.remove(self[0]);
            weights.pause(); // a sequence ended or was cancelled: stop loading ahead
        });
        self[0] = s;
        sessions.add(s);
        return s;
    }

    /** Generates up to {@code maxTokens} tokens after {@code prompt} (BOS added as the model says). */
    public Generation generate(String prompt, SamplingOptions sampling, int maxTokens) {
        return generate(prompt, sampling, maxTokens, List.of());
    }

    /** Generates until EOS, {@code maxTokens}, or one of {@code stops} appears in the text. */
    public Generation generate(String prompt, SamplingOptions sampling, int maxTokens, List<String> stops) {
        return generate(tokenize(prompt, true), sampling, maxTokens, stops);
    }

    /** Generates after the token ids {@code prompt} (nothing added). The generation owns a fresh session. */
    public Generation generate(int[] prompt, SamplingOptions sampling, int maxTokens, List<String> stops) {
        Session s = newSession();
        try {
            return s.generateOwning(prompt, sampling, maxTokens, stops);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Teacher forcing: the logits after each of {@code tokens} (row {@code i} predicts token {@code i + 1}),
     * {@code (tokens.length, vocab)}. The same path the golden tests and the {@code score} command use.
     *
     * @throws io.aircela.ContextOverflowException before computing, when the tokens exceed the context
     */
    public float[][] score(int[] tokens) {
        float[][] out = new float[tokens.length][];
        score(tokens, (i, logits) -> out[i] = logits.clone());
        return out;
    }

    /** Teacher forcing, streaming each position's logits to {@code sink}. */
    public void score(int[] tokens, LogitsConsumer sink) {
        try (Session s = newSession()) {
            s.score(tokens, sink);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("engine is closed");
    }

    /** Closes every session, the weights, the backend and the model file. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<AutoCloseable> owned = new ArrayList<>(sessions);
        owned.add(weights);
        owned.add(backend);
        owned.add(source);
        owned.add(codec);
        RuntimeException failure = null;
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) failure = new IllegalStateException("closing the engine failed", e);
                else failure.addSuppressed(e);
            }
        }
        sessions.clear();
        if (failure != null) throw failure;
    }
}
