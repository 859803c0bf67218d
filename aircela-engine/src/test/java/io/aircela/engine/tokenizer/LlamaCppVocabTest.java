package io.aircela.engine.tokenizer;

import io.aircela.tck.SharedTestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's own tokenizer test cases (test-tokenizer-0): each {@code .inp} string, tokenized without
 * BOS/EOS and without parsing special tokens, must give exactly the ids on the matching {@code .out} line.
 */
class LlamaCppVocabTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2"})
    void matchesLlamaCppTestCases(String name) throws IOException {
        Tokenizer tok = Vocabs.load("vocab/ggml-vocab-" + name + ".gguf");
        List<String> inputs = inputs(SharedTestData.require("models/vocab/ggml-vocab-" + name + ".gguf.inp"));
        List<String> outputs = Files.readAllLines(SharedTestData.require("models/vocab/ggml-vocab-" + name + ".gguf.out"));
        assertEquals(outputs.size(), inputs.size(), "one .out line per .inp case");
        assertTrue(inputs.size() >= 40, "the case files hold llama.cpp's ~46 cases");

        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int[] expected = ids(outputs.get(i));
            int[] actual = tok.encode(inputs.get(i), false, false);
            if (!Arrays.equals(expected, actual)) {
                failures.add("case " + i + " " + escape(inputs.get(i)) + "\n  expected " + Arrays.toString(expected)
                        + "\n  actual   " + Arrays.toString(actual));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + inputs.size() + " cases differ:\n" + String.join("\n", failures));
    }

    /** The .inp format: each case followed by the separator line, so the last split piece is empty. */
    static List<String> inputs(Path inp) throws IOException {
        String all = Files.readString(inp);
        List<String> cases = new ArrayList<>(Arrays.asList(all.split(Pattern.quote(SEPARATOR), -1)));
        assertEquals("", cases.removeLast(), "the file ends with a separator");
        return cases;
    }

    private static int[] ids(String line) {
        String t = line.trim();
        return t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray();
    }

    static String escape(String s) {
        String e = s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return "'" + (e.length() > 60 ? e.substring(0, 60) + "..." : e) + "'";
    }
}
