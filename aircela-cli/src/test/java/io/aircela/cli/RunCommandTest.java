package io.aircela.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunCommandTest {
    private static final String GOLDEN = "stories260k-once-upon-a-time.json";

    private static String model() {
        return SharedTestData.require("models/stories260k.gguf").toString();
    }

    @Test
    void greedyRunPrintsExactlyLlamaCppsContinuation() {
        JsonNode golden = Golden.load(GOLDEN);
        CliRun run = CliRun.of("run", "-m", model(), "-p", "Once upon a time", "-n", "64", "--temp", "0");
        assertEquals(0, run.exitCode(), run.err());
        String expected = golden.get("generated_text").asText();
        assertTrue(run.out().equals(expected) || run.out().equals(expected + "\n"),
                "stdout:\n" + run.out() + "\nexpected:\n" + expected);
        assertEquals(0, run.planLines().length, "a model that fits without a budget prints no plan: " + run.err());
        String[] err = run.errLines();
        assertEquals(1, err.length, run.err());
        assertTrue(err[0].contains("prompt 5 tokens"), err[0]);
        assertTrue(err[0].contains("generated 64 tokens"), err[0]);
        assertTrue(err[0].contains("tokens/s") && err[0].contains("load "), err[0]);
    }

    @Test
    void jsonHasExactlyTheDocumentedFields() {
        JsonNode golden = Golden.load(GOLDEN);
        CliRun run = CliRun.of("run", "-m", model(), "-p", "Once upon a time", "-n", "16", "--temp", "0", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = Golden.parse(run.out());
        assertEquals(List.of("model", "backend", "prompt_token_ids", "token_ids", "text", "stop_reason", "timings",
                "streaming"), fieldNames(j));
        List<String> counters = List.of("resident_layers", "streamed_layers", "slots", "prefetch_depth", "forward_passes",
                "bytes_read", "bytes_read_per_token", "io_ms", "compute_ms", "compute_waited_for_io_ms",
                "io_waited_for_compute_ms");
        List<String> withDecode = new java.util.ArrayList<>(counters);
        withDecode.add("decode");
        assertEquals(withDecode, fieldNames(j.get("streaming")));
        assertEquals(counters, fieldNames(j.at("/streaming/decode")));
        assertEquals(0, j.at("/streaming/streamed_layers").asInt(), "stories260k fits: nothing streamed");
        assertEquals(16, j.at("/streaming/forward_passes").asInt(), "one prompt pass and 15 decode passes");
        int decodePasses = j.at("/streaming/decode/forward_passes").asInt(); // counted once the first token arrived
        assertTrue(decodePasses >= 14 && decodePasses <= 15, j.get("streaming").toString());
        assertEquals(List.of("load_ms", "prompt_ms", "prompt_tokens_per_s", "decode_ms", "decode_tokens_per_s"),
                fieldNames(j.get("timings")));
        assertEquals(model(), j.get("model").asText());
        assertEquals("cpu", j.get("backend").asText());
        assertArrayEquals(Golden.ints(golden.get("prompt_token_ids")), Golden.ints(j.get("prompt_token_ids")));
        assertArrayEquals(Arrays.copyOf(Golden.ints(golden.get("generated_token_ids")), 16), Golden.ints(j.get("token_ids")));
        assertTrue(golden.get("generated_text").asText().startsWith(j.get("text").asText()), j.get("text").asText());
        assertTrue(j.get("text").asText().length() > 20, j.get("text").asText());
        assertEquals("length", j.get("stop_reason").asText());
        j.get("timings").forEach(t -> assertTrue(t.isNumber() && t.asDouble() >= 0, j.toString()));
        assertTrue(j.at("/timings/decode_tokens_per_s").asDouble() > 0, j.toString());
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        CliRun run = CliRun.of("run", "-m", model(), "-p", "Once upon a time", "-n", "64", "--temp", "0",
                "--stop", "Lily", "--stop", "never appears", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = Golden.parse(run.out());
        assertEquals("stop", j.get("stop_reason").asText());
        assertEquals(", there was a little girl named ", j.get("text").asText());
    }

    @Test
    void specialTokenTextIsPlainTextUnlessAskedFor() {
        CliRun plain = CliRun.of("run", "-m", model(), "-p", "<s>", "-n", "0", "--json");
        CliRun special = CliRun.of("run", "-m", model(), "-p", "<s>", "-n", "0", "--json", "--special");
        assertEquals(0, plain.exitCode(), plain.err());
        assertEquals(0, special.exitCode(), special.err());
        assertArrayEquals(new int[]{1, 1}, Golden.ints(Golden.parse(special.out()).get("prompt_token_ids")));
        int[] plainIds = Golden.ints(Golden.parse(plain.out()).get("prompt_token_ids"));
        assertEquals(1, plainIds[0]);
        assertTrue(plainIds.length > 2, "'<s>' typed by a user is spelled out: " + Arrays.toString(plainIds));
        assertEquals(0, Golden.parse(plain.out()).get("token_ids").size());
    }

    @Test
    void seededSamplingRepeatsAndSeedsDiffer() {
        String[] a = {"run", "-m", model(), "-p", "Once upon a time", "-n", "24", "--temp", "1.5", "--top-k", "0",
                "--top-p", "1", "--min-p", "0", "--seed", "7", "--json"};
        String first = Golden.parse(CliRun.of(a).out()).get("text").asText();
        String again = Golden.parse(CliRun.of(a).out()).get("text").asText();
        a[a.length - 2] = "8";
        String other = Golden.parse(CliRun.of(a).out()).get("text").asText();
        assertEquals(first, again);
        assertNotEquals(first, other, "seeds 7 and 8 gave the same 24 tokens at temperature 1.5");
    }

    @Test
    void badFlagsAreOneLineUsageErrors() {
        String m = model();
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "-n", "-5"), "-n");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "--top-p", "2"), "--top-p");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "--min-p", "-1"), "--min-p");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "--temp", "-1"), "--temp");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "--repeat-penalty", "0"), "--repeat-penalty");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "-t", "0"), "-t");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "-c", "-1"), "-c");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "--kv-type", "q4_0"), "--kv-type");
        assertUsageError(CliRun.of("run", "-m", m, "-p", "x", "--top-k", "many"), "--top-k");
        assertUsageError(CliRun.of("run", "-m", m), "--prompt");
        assertUsageError(CliRun.of("run", "-p", "x"), "--model");
    }

    @Test
    void kvTypeIsCaseInsensitiveAndF16Works() {
        CliRun run = CliRun.of("run", "-m", model(), "-p", "Once upon a time", "-n", "4", "--temp", "0",
                "--kv-type", "f16", "-c", "64", "-t", "1");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(", there was a", run.out().strip());
    }

    @Test
    void missingModelIsOneLineExitOne() {
        CliRun run = CliRun.of("run", "-m", "/nonexistent/model.gguf", "-p", "x");
        assertEquals(1, run.exitCode());
        assertEquals("", run.out());
        String[] err = run.errLines();
        assertEquals(1, err.length, run.err());
        assertTrue(err[0].startsWith("aircela: error: model not found: /nonexistent/model.gguf"), err[0]);
    }

    @Test
    void vocabularyOnlyFileCannotRunButSaysWhy() {
        String vocab = SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf").toString();
        CliRun run = CliRun.of("run", "-m", vocab, "-p", "x");
        assertEquals(1, run.exitCode());
        assertEquals(1, run.errLines().length, run.err());
        assertTrue(run.err().contains("vocabulary-only"), run.err());
    }

    @Test
    void promptLongerThanTheContextIsOneLine() {
        CliRun run = CliRun.of("run", "-m", model(), "-p", "Once upon a time there was a dog", "-c", "4");
        assertEquals(1, run.exitCode());
        assertEquals(1, run.errLines().length, run.err());
        assertTrue(run.errLines()[0].startsWith("aircela: error: context length exceeded"), run.err());
    }

    @Test
    void fullContextIsReportedAsLengthWithANote() {
        CliRun run = CliRun.of("run", "-m", model(), "-p", "Once upon a time", "-n", "64", "--temp", "0",
                "-c", "9", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = Golden.parse(run.out());
        assertEquals("length", j.get("stop_reason").asText());
        assertTrue(j.get("token_ids").size() < 64 && j.get("token_ids").size() > 0, j.toString());
        assertTrue(run.err().contains("the context is full (9 positions)"), run.err());
    }

    static void assertUsageError(CliRun run, String flag) {
        assertEquals(2, run.exitCode(), run.err());
        assertEquals("", run.out());
        String[] err = run.errLines();
        assertEquals(1, err.length, run.err());
        assertTrue(err[0].startsWith("aircela: error: "), err[0]);
        assertTrue(err[0].contains(flag), err[0]);
        assertFalse(run.err().contains("\tat "), run.err());
    }

    static List<String> fieldNames(JsonNode j) {
        List<String> names = new ArrayList<>();
        j.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aStreamedRunReportsCountersThatAddUp() {
        CliRun refused = CliRun.of("run", "-m", model(), "-p", "Once upon a time", "-n", "8", "-c", "64",
                "--memory-budget", "1", "--json");
        assertEquals(1, refused.exitCode());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("needs at least .*? \\((\\d+) bytes").matcher(refused.err());
        assertTrue(m.find(), refused.err());
        String minimum = m.group(1);
        CliRun run = CliRun.of("run", "-m", model(), "-p", "Once upon a time", "-n", "8", "-c", "64", "--temp", "0",
                "--memory-budget", minimum, "--json");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("plan: resident"), run.err());
        JsonNode st = Golden.parse(run.out()).get("streaming");
        assertTrue(st.get("streamed_layers").asInt() > 0, st.toString());
        long passes = st.get("forward_passes").asLong(), perToken = st.get("bytes_read_per_token").asLong();
        assertEquals(8, passes, st.toString());
        assertTrue(perToken > 0 && st.get("bytes_read").asLong() >= passes * perToken, st.toString());
        JsonNode decode = st.get("decode");
        assertTrue(decode.get("forward_passes").asLong() >= 6 && decode.get("forward_passes").asLong() < 8, st.toString());
        assertTrue(decode.get("bytes_read").asLong() <= st.get("bytes_read").asLong(), st.toString());
        assertTrue(decode.get("io_ms").asDouble() > 0 && decode.get("compute_ms").asDouble() > 0, st.toString());
    }
}
