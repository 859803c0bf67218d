package io.aircela.cli;

import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.generate.LogitsConsumer;
import io.aircela.engine.generate.Session;
import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code aircela bench -m MODEL}: prompt processing and generation speed, measured as llama.cpp's
 * {@code llama-bench} does so that the numbers compare: {@code ppP} is one batch of P tokens into an
 * empty cache, {@code tgN} is N single-token steps after BOS; each test is run once to warm up, then
 * {@code -r} times, and tokens/s is the mean ± sample standard deviation of the repetitions.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prompt processing (ppP) and generation (tgN) tokens/s, in llama-bench's table.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "GGUF file")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", description = "prompt tokens for the pp test; 0 skips it (default ${DEFAULT-VALUE})")
    int prompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", description = "tokens for the tg test; 0 skips it (default ${DEFAULT-VALUE})")
    int gen;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "measured repetitions per test (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME", description = "compute backend (default: the best one found)")
    String backend;

    @Option(names = "--json", description = "print a JSON array, one object per test")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Spec
    CommandSpec spec;

    /** One test's result; t/s per repetition. */
    record Result(String test, int nPrompt, int nGen, double[] samples) {
        double mean() {
            double s = 0;
            for (double v : samples) s += v;
            return s / samples.length;
        }

        double stddev() {
            if (samples.length < 2) return 0;
            double m = mean(), s = 0;
            for (double v : samples) s += (v - m) * (v - m);
            return Math.sqrt(s / (samples.length - 1));
        }
    }

    @Override
    public Integer call() {
        validate();
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        Map<String, Object> info = describe(model);
        EngineOptions options = EngineOptions.defaults().withThreads(t).withBackend(backend)
                .withContextLength(Math.max(prompt, gen + 1));
        List<Result> results = new ArrayList<>();
        try (AirCela engine = AirCela.open(model, options); Session session = engine.newSession()) {
            info.put("backend", engine.backendName());
            int vocab = engine.config().vocabSize();
            int bos = bosOf(engine);
            // Two single-token steps first: a backend's one-time work (the CPU backend repacks a weight on its second
            // use, as llama.cpp repacks at load) then happens before any measured run, like llama.cpp's model load.
            session.reset();
            session.append(new int[]{Math.max(bos, 0)});
            session.append(new int[]{Math.max(bos, 0)});
            if (prompt > 0) results.add(measure("pp" + prompt, prompt, 0, () -> prefill(session, vocab, bos)));
            if (gen > 0) results.add(measure("tg" + gen, 0, gen, () -> generate(session, vocab, bos)));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(json ? Json.write(jsonRows(info, t, results)) : table(info, t, results));
        out.flush();
        return 0;
    }

    private void validate() {
        if (prompt < 0 || gen < 0 || prompt + gen == 0)
            throw new ParameterException(spec.commandLine(), "-p and -n must be 0 or more, and not both 0");
        if (repetitions < 1) throw new ParameterException(spec.commandLine(), "-r must be at least 1, was " + repetitions);
        if (threads != null && threads < 1) throw new ParameterException(spec.commandLine(), "-t must be at least 1");
    }

    /** Warm-up runs at most, before the measured ones. */
    static final int MAX_WARMUPS = 5;

    /**
     * Runs {@code body} (returning seconds) to warm up until a run is no more than 5% faster than the one before (the
     * JIT has compiled the kernels: on two cores its compiler threads share the CPU with the workers, and the last
     * kernels reach the optimizing compiler only seconds into the process), at most {@link #MAX_WARMUPS} times; then
     * {@code -r} times.
     */
    private Result measure(String name, int nPrompt, int nGen, java.util.function.DoubleSupplier body) {
        double last = body.getAsDouble();
        for (int i = 1; i < MAX_WARMUPS; i++) {
            double next = body.getAsDouble();
            boolean settled = next > 0.95 * last;
            last = next;
            if (settled) break;
        }
        double[] ts = new double[repetitions];
        int tokens = nPrompt + nGen;
        for (int i = 0; i < repetitions; i++) ts[i] = tokens / body.getAsDouble();
        return new Result(name, nPrompt, nGen, ts);
    }

    /** One batch of {@code -p} tokens (BOS, then seeded random ids) into an empty cache; seconds. */
    private double prefill(Session session, int vocab, int bos) {
        int[] tokens = new int[prompt];
        SplittableRandom random = new SplittableRandom(prompt);
        for (int i = 0; i < prompt; i++) tokens[i] = i == 0 && bos >= 0 ? bos : random.nextInt(vocab);
        session.reset();
        long t0 = System.nanoTime();
        session.append(tokens);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** {@code -n} single-token steps starting from BOS, each next id random (as llama-bench); seconds. */
    private double generate(Session session, int vocab, int bos) {
        SplittableRandom random = new SplittableRandom(gen);
        int[] one = {bos >= 0 ? bos : random.nextInt(vocab)};
        session.reset();
        long t0 = System.nanoTime();
        LogitsConsumer ignore = (index, logits) -> { }; // as llama-bench: no copy of the logits per token
        for (int i = 0; i < gen; i++) {
            session.score(one, ignore); // append(one) would clone 128 KiB of logits a step: GC pauses mid-test
            one[0] = random.nextInt(vocab);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static int bosOf(AirCela engine) {
        int[] ids = engine.tokenize("", true);
        return ids.length > 0 ? ids[0] : -1;
    }

    /** Model name, size and parameter count as llama-bench prints them. */
    static Map<String, Object> describe(Path path) {
        Map<String, Object> info = new LinkedHashMap<>();
        try (WeightSource source = Providers.open(path)) {
            long params = 0, bytes = 0;
            Map<QuantType, Long> byType = new EnumMap<>(QuantType.class);
            for (TensorInfo t : source.tensors()) {
                params += t.elements();
                bytes += t.byteSize();
                if (t.rank() >= 2) byType.merge(t.type(), t.elements(), Long::sum);
            }
            String type = byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name()).orElse("?");
            String arch = source.metadata().string("general.architecture").orElse(source.format());
            info.put("model", String.format(Locale.ROOT, "%s %s %s", arch, sizeLabel(params), type));
            info.put("model_type", type);
            info.put("model_size", bytes);
            info.put("model_n_params", params);
        }
        return info;
    }

    private static String sizeLabel(long params) {
        if (params >= 1_000_000_000L) return String.format(Locale.ROOT, "%.1fB", params / 1e9);
        if (params >= 1_000_000L) return (params / 1_000_000L) + "M";
        return (params / 1000L) + "K";
    }

    private static String table(Map<String, Object> info, int threads, List<Result> results) {
        StringBuilder sb = new StringBuilder();
        String fmt = "| %-24s | %12s | %10s | %-7s | %7s | %8s | %20s |%n";
        sb.append(String.format(Locale.ROOT, fmt, "model", "size", "params", "backend", "threads", "test", "t/s"));
        sb.append(String.format(Locale.ROOT, "| %s | %s: | %s: | %s | %s: | %s: | %s: |%n", "-".repeat(24), "-".repeat(11),
                "-".repeat(9), "-".repeat(7), "-".repeat(6), "-".repeat(7), "-".repeat(19)));
        long size = (Long) info.get("model_size");
        long params = (Long) info.get("model_n_params");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, fmt, info.get("model"),
                    String.format(Locale.ROOT, "%.2f MiB", size / 1048576.0), params >= 1e9
                            ? String.format(Locale.ROOT, "%.2f B", params / 1e9) : String.format(Locale.ROOT, "%.2f M", params / 1e6),
                    info.get("backend"), threads, r.test(),
                    String.format(Locale.ROOT, "%.2f ± %.2f", r.mean(), r.stddev())));
        }
        return sb.toString().stripTrailing();
    }

    private static List<Map<String, Object>> jsonRows(Map<String, Object> info, int threads, List<Result> results) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", info.get("model"));
            row.put("model_type", info.get("model_type"));
            row.put("model_size", info.get("model_size"));
            row.put("model_n_params", info.get("model_n_params"));
            row.put("backend", info.get("backend"));
            row.put("threads", threads);
            row.put("test", r.test());
            row.put("n_prompt", r.nPrompt());
            row.put("n_gen", r.nGen());
            row.put("avg_ts", r.mean());
            row.put("stddev_ts", r.stddev());
            row.put("samples_ts", r.samples());
            rows.add(row);
        }
        return rows;
    }
}
