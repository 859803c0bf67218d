package io.aircela.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizeCommandTest {

    @Test
    void matchesLlamaCppOnTheLlama2GoldenWithBos() {
        JsonNode golden = Golden.load("tokenizer-llama2.json");
        String model = SharedTestData.require("models/" + golden.get("model").asText()).toString();
        assertTrue(golden.get("cases").size() >= 10);
        for (JsonNode c : golden.get("cases")) {
            CliRun run = CliRun.of("tokenize", "-m", model, "--text=" + c.get("text").asText(), "--json");
            assertEquals(0, run.exitCode(), run.err());
            JsonNode j = Golden.parse(run.out());
            assertEquals(List.of("token_ids", "pieces"), RunCommandTest.fieldNames(j));
            assertArrayEquals(Golden.ints(c.get("ids")), Golden.ints(j.get("token_ids")), c.get("text").asText());
            assertEquals(j.get("token_ids").size(), j.get("pieces").size());
            assertEquals("<s>", j.get("pieces").get(0).asText());
        }
    }

    @Test
    void matchesLlamaCppsOwnCasesOnAVocabularyOnlyFileWithoutBos() throws IOException {
        String vocab = SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf").toString();
        String all = Files.readString(SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf.inp"));
        List<String> inputs = new ArrayList<>(Arrays.asList(all.split(Pattern.quote("\n__ggml_vocab_test__\n"), -1)));
        if (inputs.getLast().isEmpty()) inputs.removeLast();
        List<String> outputs = Files.readAllLines(SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf.out"));
        assertEquals(outputs.size(), inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            CliRun run = CliRun.of("tokenize", "-m", vocab, "--text=" + inputs.get(i), "--no-bos", "--json");
            assertEquals(0, run.exitCode(), run.err());
            String line = outputs.get(i).strip();
            int[] expected = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(expected, Golden.ints(Golden.parse(run.out()).get("token_ids")), "case " + i + ": " + inputs.get(i));
        }
    }

    @Test
    void textOutputListsIdsAndPieces() {
        String vocab = SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf").toString();
        CliRun run = CliRun.of("tokenize", "-m", vocab, "--text", "Hello world");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("      1 -> '<s>'\n  15043 -> '▁Hello'\n   3186 -> '▁world'\n3 tokens\n", run.out());
    }

    @Test
    void specialFlagParsesControlTokenTexts() {
        String vocab = SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf").toString();
        int[] plain = Golden.ints(Golden.parse(CliRun.of("tokenize", "-m", vocab, "--text", "</s>", "--no-bos", "--json").out())
                .get("token_ids"));
        int[] special = Golden.ints(Golden.parse(CliRun.of("tokenize", "-m", vocab, "--text", "</s>", "--no-bos", "--json",
                "--special").out()).get("token_ids"));
        assertArrayEquals(new int[]{2}, special);
        assertTrue(plain.length > 1, Arrays.toString(plain));
    }

    @Test
    void missingFileIsOneLine() {
        CliRun run = CliRun.of("tokenize", "-m", "/nonexistent.gguf", "--text", "x");
        assertEquals(1, run.exitCode());
        assertEquals(1, run.errLines().length, run.err());
        assertTrue(run.err().startsWith("aircela: error: model not found"), run.err());
    }
}
