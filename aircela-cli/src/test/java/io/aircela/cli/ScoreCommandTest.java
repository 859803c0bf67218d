package io.aircela.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScoreCommandTest {
    private static final double TOLERANCE = 0.05;

    private static String model() {
        return SharedTestData.require("models/stories260k.gguf").toString();
    }

    @Test
    void topLogitsMatchLlamaCppAtEveryPosition() {
        JsonNode golden = Golden.load("stories260k-once-upon-a-time.json");
        int[] ids = Golden.concat(Golden.ints(golden.get("prompt_token_ids")), Golden.ints(golden.get("generated_token_ids")));
        CliRun run = CliRun.of("score", "-m", model(), "--tokens", Golden.csv(ids), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = Golden.parse(run.out());
        assertEquals(java.util.List.of("token_ids", "positions", "next_token_logprobs", "perplexity"),
                RunCommandTest.fieldNames(j));
        assertArrayEquals(ids, Golden.ints(j.get("token_ids")));
        assertEquals(ids.length, j.get("positions").size());
        JsonNode expected = golden.get("positions");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode ours = j.get("positions").get(i);
            assertEquals(10, ours.size());
            assertEquals(expected.get(i).get(0).get(0).asInt(), ours.get(0).get(0).asInt(), "top-1 at position " + i);
            Map<Integer, Double> logits = new HashMap<>();
            ours.forEach(p -> logits.put(p.get(0).asInt(), p.get(1).asDouble()));
            int shared = 0;
            for (JsonNode e : expected.get(i)) {
                Double l = logits.get(e.get(0).asInt());
                if (l == null) continue; // a near-tie at the tail of the top 10 may swap in another id
                shared++;
                assertEquals(e.get(1).asDouble(), l, TOLERANCE, "logit of " + e.get(0) + " at position " + i);
            }
            assertTrue(shared >= 8, "position " + i + ": only " + shared + " of the top 10 ids agree");
        }
    }

    @Test
    void logprobsAndPerplexityAreConsistent() {
        JsonNode golden = Golden.load("stories260k-once-upon-a-time.json");
        int[] ids = Golden.concat(Golden.ints(golden.get("prompt_token_ids")), Golden.ints(golden.get("generated_token_ids")));
        JsonNode j = Golden.parse(CliRun.of("score", "-m", model(), "--tokens", Golden.csv(ids), "--json", "--top", "3").out());
        JsonNode lps = j.get("next_token_logprobs");
        assertEquals(ids.length - 1, lps.size());
        assertEquals(3, j.get("positions").get(0).size());
        double sum = 0;
        for (int i = 0; i < lps.size(); i++) {
            double lp = lps.get(i).asDouble();
            assertTrue(lp <= 0 && lp > -30, "log-probability " + lp + " at " + i);
            // the generated tokens were llama.cpp's greedy picks: the most likely, so above log(1/2) mostly;
            // at least they are never less likely than uniform over the 512-token vocabulary
            if (i >= golden.get("prompt_token_ids").size() - 1) assertTrue(lp > -Math.log(512), "greedy token at " + i);
            sum += lp;
        }
        assertEquals(Math.exp(-sum / lps.size()), j.get("perplexity").asDouble(), 1e-9);
        assertTrue(j.get("perplexity").asDouble() > 1 && j.get("perplexity").asDouble() < 3, j.get("perplexity").toString());
    }

    @Test
    void textModeTableAddsBosAndShowsPerplexity() {
        CliRun run = CliRun.of("score", "-m", model(), "--text", "Once upon a time", "--top", "2");
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().split("\n");
        assertTrue(lines[0].contains("logprob"), lines[0]);
        assertTrue(lines[1].matches("\\s+0\\s+1\\s+'<s>'\\s+403:17\\.0\\d\\d 385:15\\.4\\d\\d"), lines[1]);
        assertTrue(lines[2].contains("'▁Once'"), lines[2]);
        assertTrue(lines[lines.length - 1].startsWith("perplexity: 1.0"), lines[lines.length - 1]);
        assertTrue(lines[lines.length - 1].endsWith("over 4 predicted tokens"), lines[lines.length - 1]);
    }

    @Test
    void oneTokenHasNoPerplexity() {
        JsonNode j = Golden.parse(CliRun.of("score", "-m", model(), "--tokens", "1", "--json").out());
        assertEquals(1, j.get("positions").size());
        assertEquals(0, j.get("next_token_logprobs").size());
        assertTrue(j.get("perplexity").isNull());
    }

    @Test
    void badInputIsAUsageError() {
        String m = model();
        RunCommandTest.assertUsageError(CliRun.of("score", "-m", m, "--tokens", "1,512"), "outside the vocabulary");
        RunCommandTest.assertUsageError(CliRun.of("score", "-m", m, "--tokens", "1,x"), "--tokens");
        RunCommandTest.assertUsageError(CliRun.of("score", "-m", m), "--text");
        RunCommandTest.assertUsageError(CliRun.of("score", "-m", m, "--text", "a", "--tokens", "1"), "mutually exclusive");
        RunCommandTest.assertUsageError(CliRun.of("score", "-m", m, "--text", "a", "--top", "0"), "--top");
    }
}
