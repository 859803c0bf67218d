package io.aircela.cli;

import io.aircela.engine.AirCela;
import io.aircela.engine.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code aircela score -m MODEL (--text TEXT | --tokens IDS)}: teacher forcing through
 * {@link AirCela#score(int[], io.aircela.engine.generate.LogitsConsumer)} (the path the golden tests
 * check). For every position: the top-K {@code [token_id, logit]} after that token; for every position
 * that has a next token: that token's log-probability; and the perplexity over them.
 */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the model over a sequence and report the top-K logits at every position,"
                + " the log-probability of each next token and the perplexity.")
final class ScoreCommand implements Callable<Integer> {
    static final class Input {
        @Option(names = "--text", required = true, paramLabel = "TEXT", description = "text to score (BOS added as the model says)")
        String text;

        @Option(names = "--tokens", required = true, split = ",", paramLabel = "ID,ID,...",
                description = "token ids to score, used exactly as given")
        int[] tokens;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--top", paramLabel = "K", defaultValue = "10", description = "logits listed per position (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--special", description = "recognise control-token texts in --text")
    boolean special;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Mixin
    EngineOptionsMixin engine;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (top < 1) throw new ParameterException(spec.commandLine(), "--top must be at least 1, was " + top);
        try (AirCela ai = engine.open()) {
            Tokenizer tok = ai.tokenizer();
            int[] ids = input.tokens != null ? input.tokens : tok.encode(input.text, true, special);
            checkIds(ids, ai.config().vocabSize());
            Scores s = Scores.of(ai, ids, Math.min(top, ai.config().vocabSize()));
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? Json.write(result(s)) : table(s, tok));
            out.flush();
        }
        return 0;
    }

    private void checkIds(int[] ids, int vocab) {
        if (ids.length == 0)
            throw new ParameterException(spec.commandLine(), "nothing to score: the sequence has no tokens");
        for (int id : ids)
            if (id < 0 || id >= vocab)
                throw new ParameterException(spec.commandLine(), "token id " + id + " is outside the vocabulary [0, "
                        + vocab + ")");
    }

    private static Map<String, Object> result(Scores s) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("token_ids", s.ids());
        List<List<Object[]>> positions = new ArrayList<>();
        for (int i = 0; i < s.ids().length; i++) {
            List<Object[]> row = new ArrayList<>();
            for (int k = 0; k < s.topIds()[i].length; k++) row.add(new Object[]{s.topIds()[i][k], s.topLogits()[i][k]});
            positions.add(row);
        }
        r.put("positions", positions);
        r.put("next_token_logprobs", s.nextLogprobs());
        r.put("perplexity", s.nextLogprobs().length == 0 ? null : s.perplexity());
        return r;
    }

    private static String table(Scores s, Tokenizer tok) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%5s %7s  %-16s %10s  %s%n", "pos", "token", "piece", "logprob", "top logits after it"));
        for (int i = 0; i < s.ids().length; i++) {
            String lp = i == 0 ? "" : String.format(Locale.ROOT, "%.4f", s.nextLogprobs()[i - 1]);
            b.append(String.format(Locale.ROOT, "%5d %7d  %-16s %10s ", i, s.ids()[i], quote(tok.piece(s.ids()[i])), lp));
            for (int k = 0; k < s.topIds()[i].length; k++)
                b.append(String.format(Locale.ROOT, " %d:%.3f", s.topIds()[i][k], s.topLogits()[i][k]));
            b.append('\n');
        }
        b.append("logprob: of this token after the ones before it (natural log)\n");
        if (s.nextLogprobs().length == 0) b.append("perplexity: n/a (a single token has no next token)");
        else b.append(String.format(Locale.ROOT, "perplexity: %.4f over %d predicted tokens",
                s.perplexity(), s.nextLogprobs().length));
        return b.toString();
    }

    /** A vocabulary piece made printable on one line (control characters escaped). */
    static String quote(String piece) {
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            if (c == '\n') b.append("\\n");
            else if (c == '\t') b.append("\\t");
            else if (c == '\r') b.append("\\r");
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.append('\'').toString();
    }
}
