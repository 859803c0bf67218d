package io.aircela.cli;

import io.aircela.AirCelaException;
import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.Token;
import io.aircela.engine.sampling.SamplingOptions;
import io.aircela.engine.streaming.BudgetTooSmallException;
import io.aircela.engine.streaming.StreamingStats;
import io.aircela.formats.gguf.GgufWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code aircela demo}: layer streaming on a machine with nothing downloaded. Writes (once, into the
 * user's cache folder) a synthetic Llama with random Q4_0 weights ({@link DemoModel}), then generates
 * with a memory budget of a quarter of the model, twice: at the automatic prefetch depth and at depth 0
 * (load, compute, free), and prints the plan, the streaming counters and the decode speed of each.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Stream a synthetic model (random weights, written once into the cache folder) under a memory"
                + " budget of a quarter of its size, at the automatic prefetch depth and at depth 0, and compare.",
                "Needs no download and no GPU. The generated text is gibberish: the weights are random."})
final class DemoCommand implements Callable<Integer> {
    private static final String PROMPT = "Once upon a time";

    @Option(names = "--size", paramLabel = "1b|7b", defaultValue = "1b",
            description = "model size: 1b (~520 MiB file) or 7b (~3.4 GiB file) (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "memory budget, e.g. 200M (default: a quarter of the model)")
    String memoryBudget;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "24",
            description = "tokens to generate per run (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = "--cache-dir", hidden = true, description = "where the model is cached (tests)")
    Path cacheDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        DemoModel model = demoModel();
        if (tokens < 2) throw new ParameterException(spec.commandLine(), "-n must be at least 2, was " + tokens);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Path file = ensureWritten(model, err);
        long fileBytes = size(file);
        out.println("aircela demo: " + model.describe(fileBytes));
        out.println("aircela demo: the weights are random, so the text is gibberish; the point is the speed under"
                + " a memory budget.");
        long budget = memoryBudget != null ? parseBudget() : fileBytes / 4;
        EngineOptions base = EngineOptions.defaults().withContextLength(128)
                .withThreads(threads != null ? threads : Runtime.getRuntime().availableProcessors());
        budget = atLeastTheMinimum(file, base, budget, out);
        Result auto = generate(file, base.withMemoryBudget(budget), out);
        Result sequential = generate(file, base.withMemoryBudget(budget).withPrefetchDepth(0), out);
        out.printf(Locale.ROOT, "aircela demo: prefetch depth %d decodes %.2f tokens/s, depth 0 (load, compute, free)"
                        + " %.2f tokens/s: %.2fx%s%n", auto.depth, auto.tokensPerSecond, sequential.tokensPerSecond,
                auto.tokensPerSecond / sequential.tokensPerSecond,
                auto.tokens.equals(sequential.tokens) ? "; both runs generated the same tokens" : "");
        out.println("aircela demo: your own model: ./aircela run -m MODEL.gguf -p \"Hello\" --memory-budget SIZE");
        out.flush();
        return 0;
    }

    private DemoModel demoModel() {
        try {
            return DemoModel.of(size);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The model's file, written first when the cache does not hold it yet. */
    private Path ensureWritten(DemoModel model, PrintWriter err) {
        Path dir = cacheDir != null ? cacheDir : DemoModel.defaultCacheDir();
        Path file = model.file(dir);
        if (Files.isRegularFile(file)) return file;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AirCelaException("cannot create the cache folder " + dir + ": " + e.getMessage(), e);
        }
        GgufWriter w = model.writer();
        err.printf(Locale.ROOT, "aircela demo: writing %s (%.0f MiB, once) ...%n", file, w.fileBytes() / 1048576.0);
        err.flush();
        long t0 = System.nanoTime();
        int[] lastPercent = {-1};
        w.write(file, (bytes, total) -> {
            int percent = (int) (bytes * 100 / total);
            if (percent / 10 != lastPercent[0] / 10) {
                err.printf(Locale.ROOT, "aircela demo: %3d%%%n", percent);
                err.flush();
            }
            lastPercent[0] = percent;
        });
        err.printf(Locale.ROOT, "aircela demo: wrote %s in %.1f s%n", file, (System.nanoTime() - t0) / 1e9);
        err.flush();
        return file;
    }

    private long parseBudget() {
        try {
            return ByteSize.parse(memoryBudget);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--memory-budget: " + e.getMessage());
        }
    }

    /**
     * The budget, raised to the least any plan needs (for tiny models the KV cache and activations
     * outweigh a quarter of the weights). Asking with a budget of one byte costs nothing: the plan is
     * refused before any weight is read.
     */
    private static long atLeastTheMinimum(Path file, EngineOptions base, long budget, PrintWriter out) {
        long minimum;
        try (AirCela ignored = AirCela.open(file, base.withMemoryBudget(1))) {
            return budget; // cannot happen: no model fits in one byte
        } catch (BudgetTooSmallException e) {
            minimum = e.minimumBytes();
        }
        if (budget >= minimum) return budget;
        out.printf(Locale.ROOT, "aircela demo: a budget of %.1f MiB is below the minimum; using %.1f MiB%n",
                budget / 1048576.0, minimum / 1048576.0);
        return minimum;
    }

    private record Result(int depth, double tokensPerSecond, List<Integer> tokens) {
    }

    private Result generate(Path file, EngineOptions options, PrintWriter out) {
        try (AirCela ai = AirCela.open(file, options)) {
            out.print(ai.plan().describe());
            List<Integer> ids = new java.util.ArrayList<>();
            StreamingStats afterPrompt = null;
            try (Generation g = ai.generate(PROMPT, SamplingOptions.greedy(), tokens)) {
                for (Token t : g) {
                    ids.add(t.id());
                    if (afterPrompt == null) afterPrompt = ai.streamingStats();
                }
                double tps = g.timings().decodeTokensPerSecond();
                StreamingStats s = ai.streamingStats().since(afterPrompt);
                long passes = Math.max(1, s.forwardPasses());
                out.printf(Locale.ROOT, "  depth %d: %.2f tokens/s decode (%.0f ms/token); per token: %.0f MiB read,"
                                + " I/O %.0f ms, compute %.0f ms, compute waited for I/O %.0f ms, I/O waited for compute %.0f ms%n",
                        ai.plan().prefetchDepth(), tps, tps > 0 ? 1000 / tps : 0, s.bytesReadPerToken() / 1048576.0,
                        s.ioMillis() / passes, s.computeMillis() / passes, s.computeWaitedForIoMillis() / passes,
                        s.ioWaitedForComputeMillis() / passes);
                out.println("  text: " + printable(g.text()));
                out.flush();
                return new Result(ai.plan().prefetchDepth(), tps, ids);
            }
        }
    }

    /** The text with control characters escaped (random bytes are rarely valid text). */
    private static String printable(String text) {
        StringBuilder sb = new StringBuilder();
        text.codePoints().limit(80).forEach(c -> {
            if (Character.isISOControl(c) || c == 0xFFFD) sb.append('·');
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AirCelaException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
    }
}
