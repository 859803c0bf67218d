package io.aircela.cli;

import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.Session;
import io.aircela.engine.generate.Token;
import io.aircela.engine.sampling.SamplingOptions;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatCommandTest {
    private static final Pattern STATS = Pattern.compile(
            "aircela: turn (\\d+): prefilled (\\d+) tokens .*generated (\\d+) tokens .*sequence (\\d+)/(\\d+) tokens");

    private static Path model() {
        return SharedTestData.require("models/stories260k.gguf");
    }

    @Test
    void secondTurnComputesOnlyItsNewTokensAndContinuesTheCachedHistory() {
        CliRun run = CliRun.withInput("Once upon a time\nThe dog\n",
                "chat", "-m", model().toString(), "-n", "8", "--temp", "0", "--verbose");
        assertEquals(0, run.exitCode(), run.err());
        String[] turns = run.out().split("\n");
        assertEquals(2, turns.length, run.out());
        assertEquals(", there was a little girl", turns[0]);

        int[][] stats = STATS.matcher(run.err()).results().map(ChatCommandTest::numbers).toArray(int[][]::new);
        assertEquals(2, stats.length, run.err());
        try (AirCela ai = AirCela.open(model(), EngineOptions.defaults().withThreads(1))) {
            int[] first = ai.tokenizer().encode("Once upon a time", true, false);
            int[] second = ai.tokenizer().encode("The dog", false, false);
            assertEquals(first.length, stats[0][1], "turn 1 prefills BOS + the line");
            assertEquals(first.length + 8, stats[0][3]);
            // turn 2 computes the line plus the previous turn's last token (sampled, not yet computed):
            // never the history already in the cache
            assertEquals(second.length + 1, stats[1][1], run.err());
            assertEquals(first.length + 8 + second.length + 8, stats[1][3]);

            // the cached continuation equals a one-shot generation over the whole history
            int[] history;
            try (Generation g = ai.generate(first, SamplingOptions.greedy(), 8, List.of())) {
                int[] gen = new int[8];
                int n = 0;
                for (Token t : g) gen[n++] = t.id();
                history = Golden.concat(Golden.concat(first, Arrays.copyOf(gen, n)), second);
            }
            try (Generation g = ai.generate(history, SamplingOptions.greedy(), 8, List.of())) {
                g.forEachRemaining(t -> { });
                assertEquals(g.text(), turns[1]);
            }
        }
    }

    @Test
    void sessionPositionGrowsByTheNewTokensOnly() {
        try (AirCela ai = AirCela.open(model(), EngineOptions.defaults().withThreads(1));
             Session s = ai.newSession()) {
            int[] first = ai.tokenizer().encode("Once upon a time", true, false);
            try (Generation g = s.generate(first, SamplingOptions.greedy(), 4, List.of())) {
                g.forEachRemaining(t -> { });
            }
            int before = s.position();
            int[] second = ai.tokenizer().encode("The dog", false, false);
            s.append(second);
            assertEquals(first.length + 4 + second.length, s.position());
            assertEquals(before + second.length + 1, s.position(), "the pending last token plus the new line");
        }
    }

    @Test
    void endOfInputEndsCleanly() {
        CliRun run = CliRun.withInput("", "chat", "-m", model().toString(), "-n", "4");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.out());
        assertTrue(run.err().contains("> "), run.err());
    }

    @Test
    void blankLineContinuesWhereTheModelStopped() {
        CliRun run = CliRun.withInput("Once upon a time\n\n", "chat", "-m", model().toString(), "-n", "4", "--temp", "0");
        assertEquals(0, run.exitCode(), run.err());
        // two turns of 4 tokens with nothing typed between them = one greedy run of 8
        assertEquals(", there was a\n little girl\n", run.out());
    }

    @Test
    void badSamplingFlagIsAUsageError() {
        RunCommandTest.assertUsageError(CliRun.withInput("x\n", "chat", "-m", model().toString(), "--top-p", "2"),
                "--top-p");
    }

    private static int[] numbers(java.util.regex.MatchResult m) {
        int[] out = new int[m.groupCount() + 1];
        for (int i = 1; i <= m.groupCount(); i++) out[i - 1] = Integer.parseInt(m.group(i));
        return out;
    }
}
