package io.aircela.cli;

import io.aircela.engine.AirCela;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.GenerationTimings;
import io.aircela.engine.generate.StopReason;
import io.aircela.engine.generate.Token;
import io.aircela.engine.streaming.StreamingStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code aircela run -m MODEL -p PROMPT}: generates a continuation of the prompt and streams it to
 * stdout token by token; a one-line summary (token counts, speeds, load time) goes to stderr. With
 * {@code --json}, stdout gets one JSON object at the end instead.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate text after a prompt, streamed to stdout; a summary goes to stderr.")
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "PROMPT", description = "text to continue")
    String prompt;

    @Option(names = "--special", description = "recognise control-token texts (e.g. <|im_start|>) in the prompt")
    boolean special;

    @Option(names = "--json", description = "print one JSON object at the end instead of streaming text")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Mixin
    EngineOptionsMixin engine;

    @Mixin
    SamplingOptionsMixin sampling;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var samplingOptions = sampling.samplingOptions();
        int maxTokens = sampling.maxTokens();
        var stops = sampling.stops();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (AirCela ai = engine.open()) {
            int[] promptIds = ai.tokenizer().encode(prompt, true, special);
            StreamingStats before = ai.streamingStats();
            try (Generation g = ai.generate(promptIds, samplingOptions, maxTokens, stops)) {
                IntArray ids = new IntArray();
                StreamingStats afterPrompt = before;
                for (Token t : g) {
                    ids.add(t.id());
                    if (ids.size() == 1) afterPrompt = ai.streamingStats(); // the prompt's pass is done
                    if (!json && !t.text().isEmpty()) {
                        out.print(t.text());
                        out.flush();
                    }
                }
                String text = g.text();
                StreamingStats end = ai.streamingStats();
                StreamingStats streamed = end.since(before);
                if (json) out.println(Json.write(result(ai, promptIds, ids.toArray(), g, streamed, end.since(afterPrompt))));
                else if (!text.isEmpty() && !text.endsWith("\n")) out.println();
                out.flush();
                noteContextFull(err, g.stopReason(), ai.contextLength());
                err.println(summary(g.timings(), g.generatedTokens(), ai.backendName()));
                if (ai.plan().streaming()) err.println(streamingSummary(streamed));
                err.flush();
            }
        }
        return 0;
    }

    private Map<String, Object> result(AirCela ai, int[] promptIds, int[] generated, Generation g, StreamingStats s,
                                       StreamingStats decode) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", engine.model.toString());
        r.put("backend", ai.backendName());
        r.put("prompt_token_ids", promptIds);
        r.put("token_ids", generated);
        r.put("text", g.text());
        r.put("stop_reason", stopReason(g.stopReason()));
        r.put("timings", timings(g.timings()));
        Map<String, Object> streaming = streaming(s);
        streaming.put("decode", streaming(decode)); // the same counters from the first generated token on
        r.put("streaming", streaming);
        return r;
    }

    /** The layer-streaming counters of one run (the LM head counts as a layer). */
    static Map<String, Object> streaming(StreamingStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("resident_layers", s.residentLayers());
        m.put("streamed_layers", s.streamedLayers());
        m.put("slots", s.slots());
        m.put("prefetch_depth", s.prefetchDepth());
        m.put("forward_passes", s.forwardPasses());
        m.put("bytes_read", s.bytesRead());
        m.put("bytes_read_per_token", s.bytesReadPerToken());
        m.put("io_ms", s.ioMillis());
        m.put("compute_ms", s.computeMillis());
        m.put("compute_waited_for_io_ms", s.computeWaitedForIoMillis());
        m.put("io_waited_for_compute_ms", s.ioWaitedForComputeMillis());
        return m;
    }

    /** The stderr line of a streamed run: what was read, and who waited for whom. */
    static String streamingSummary(StreamingStats s) {
        return String.format(Locale.ROOT,
                "aircela: streamed %.1f MiB (%.1f MiB per token) | I/O %.0f ms, compute %.0f ms | compute waited for I/O"
                        + " %.0f ms, I/O waited for compute %.0f ms",
                s.bytesRead() / 1048576.0, s.bytesReadPerToken() / 1048576.0, s.ioMillis(), s.computeMillis(),
                s.computeWaitedForIoMillis(), s.ioWaitedForComputeMillis());
    }

    static Map<String, Object> timings(GenerationTimings t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("load_ms", t.loadMillis());
        m.put("prompt_ms", t.promptMillis());
        m.put("prompt_tokens_per_s", t.promptTokensPerSecond());
        m.put("decode_ms", t.decodeMillis());
        m.put("decode_tokens_per_s", t.decodeTokensPerSecond());
        return m;
    }

    /**
     * The stop reason as the JSON reports it: {@code eos}, {@code length} or {@code stop}. A full
     * context is a length limit too (the note on stderr says which); a cancelled generation
     * cannot reach here, as the command always iterates to the end.
     */
    static String stopReason(StopReason r) {
        return switch (r) {
            case EOS -> "eos";
            case STOP -> "stop";
            case LENGTH, CONTEXT_FULL, CANCELLED -> "length";
        };
    }

    static void noteContextFull(PrintWriter err, StopReason r, int contextLength) {
        if (r == StopReason.CONTEXT_FULL)
            err.println("aircela: the context is full (" + contextLength + " positions): generation stopped early"
                    + " (reported as \"length\"); pass a larger -c to go on");
    }

    /** The stderr summary line: prompt and generated token counts with their speeds, load time, backend. */
    static String summary(GenerationTimings t, int generated, String backend) {
        return String.format(Locale.ROOT,
                "aircela: prompt %d tokens, %.1f tokens/s | generated %d tokens, %.1f tokens/s | load %.0f ms | backend %s",
                t.promptTokens(), t.promptTokensPerSecond(), generated, t.decodeTokensPerSecond(), t.loadMillis(), backend);
    }
}
