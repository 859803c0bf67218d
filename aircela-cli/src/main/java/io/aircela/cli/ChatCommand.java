package io.aircela.cli;

import io.aircela.engine.AirCela;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.GenerationTimings;
import io.aircela.engine.generate.Session;
import io.aircela.engine.generate.Token;
import io.aircela.engine.sampling.SamplingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code aircela chat -m MODEL}: interactive turns on stdin/stdout over one {@link Session}, so the KV
 * cache keeps the history and each turn computes only its new tokens. No chat template yet: each
 * line typed is appended to the sequence as plain text and the model continues it. The prompt
 * marker {@code > } and any statistics go to stderr; stdout carries only generated text (one line
 * break after each turn). End of input (Ctrl-D) ends the chat with exit code 0.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Interactive continuation: each line you type is appended and the model continues it;"
                + " the KV cache is kept across turns. Ctrl-D ends.")
final class ChatCommand implements Callable<Integer> {
    @Option(names = "--special", description = "recognise control-token texts (e.g. <|im_start|>) in what you type")
    boolean special;

    @Option(names = "--verbose", description = "a statistics line on stderr after each turn; stack traces on errors")
    boolean verbose;

    @Mixin
    EngineOptionsMixin engine;

    @Mixin
    SamplingOptionsMixin sampling;

    @Spec
    CommandSpec spec;

    /** Where the user's lines come from; tests put a StringReader here (null = stdin as UTF-8). */
    Reader input;

    @Override
    public Integer call() {
        SamplingOptions samplingOptions = sampling.samplingOptions();
        int maxTokens = sampling.maxTokens();
        List<String> stops = sampling.stops();
        BufferedReader in = new BufferedReader(input != null ? input
                : new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter err = spec.commandLine().getErr();
        try (AirCela ai = engine.open(); Session session = ai.newSession()) {
            err.println("aircela: chat with " + engine.model + " (" + ai.backendName()
                    + ", context " + session.contextLength() + "); plain continuation, Ctrl-D ends");
            int turn = 0;
            String line;
            while ((line = prompt(in, err)) != null) {
                int[] ids = ai.tokenizer().encode(line, session.tokens().length == 0, special);
                if (ids.length == 0 && session.tokens().length == 0) continue; // nothing to continue yet
                turn(session, ids, samplingOptions, maxTokens, stops, ++turn);
            }
            err.println();
            err.flush();
        }
        return 0;
    }

    /** One turn: the new tokens go into the cache after the history, then the model continues. */
    private void turn(Session session, int[] ids, SamplingOptions samplingOptions, int maxTokens, List<String> stops,
                      int turn) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Generation g = session.generate(ids, samplingOptions, maxTokens, stops)) {
            for (Token t : g) {
                if (t.text().isEmpty()) continue;
                out.print(t.text());
                out.flush();
            }
            out.println();
            out.flush();
            RunCommand.noteContextFull(err, g.stopReason(), session.contextLength());
            if (verbose) err.println(stats(turn, g.timings(), g.generatedTokens(), session));
            err.flush();
        }
    }

    /**
     * The statistics line: {@code prefilled} counts the tokens this turn computed before generating
     * (the new text plus the last token of the previous turn, which was sampled but not yet computed);
     * it never includes the history, which is what keeping the cache buys.
     */
    static String stats(int turn, GenerationTimings t, int generated, Session session) {
        return String.format(Locale.ROOT,
                "aircela: turn %d: prefilled %d tokens (%.1f tokens/s), generated %d tokens (%.1f tokens/s),"
                        + " sequence %d/%d tokens",
                turn, t.promptTokens(), t.promptTokensPerSecond(), generated, t.decodeTokensPerSecond(),
                session.tokens().length, session.contextLength());
    }

    private static String prompt(BufferedReader in, PrintWriter err) {
        err.print("> ");
        err.flush();
        try {
            return in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin", e);
        }
    }
}
