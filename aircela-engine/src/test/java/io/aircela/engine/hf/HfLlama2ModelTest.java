package io.aircela.engine.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.Token;
import io.aircela.engine.sampling.SamplingOptions;
import io.aircela.engine.tokenizer.HfTokenizer;
import io.aircela.formats.gguf.GgufWeightSource;
import io.aircela.tck.GgufToHf;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code llama-2-tiny-random.gguf} (real Llama-2 vocabulary) written as an HF folder with the Llama-2
 * {@code tokenizer.json}: the engine picks DJL's tokenizer for the folder, which gives llama.cpp's ids for
 * every golden string and the GGUF's ids, and greedy generation from the folder gives the GGUF's tokens.
 */
class HfLlama2ModelTest {
    @TempDir
    static Path tmp;
    static AirCela gguf, hf;

    @BeforeAll
    static void open() {
        Path file = SharedTestData.require("models/llama-2-tiny-random.gguf");
        Path tokenizer = SharedTestData.require("models/hf/llama2-tokenizer");
        Path dir = tmp.resolve("llama2-tiny-hf");
        try (GgufWeightSource g = GgufWeightSource.open(file)) {
            GgufToHf.write(g, dir, "F16", 3);
        }
        GgufToHf.copyTokenizer(tokenizer, dir);
        EngineOptions options = EngineOptions.defaults().withBackend("cpu");
        gguf = AirCela.open(file, options);
        hf = AirCela.open(dir, options);
    }

    @AfterAll
    static void close() {
        if (gguf != null) gguf.close();
        if (hf != null) hf.close();
    }

    @Test
    void theFolderUsesTokenizerJson() {
        assertInstanceOf(HfTokenizer.class, hf.tokenizer());
        assertEquals(gguf.tokenizer().vocabSize(), hf.tokenizer().vocabSize());
    }

    @Test
    void goldenStringsTokenizeToLlamaCppIdsFromBothFiles() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(SharedTestData.require("golden/tokenizer-llama2.json").toFile());
        List<String> failures = new ArrayList<>();
        for (JsonNode c : golden.get("cases")) {
            String text = c.get("text").textValue();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("ids").get(i).intValue();
            int[] fromHf = hf.tokenizer().encode(text, true, false);
            if (!java.util.Arrays.equals(expected, fromHf)) failures.add(text);
            assertArrayEquals(gguf.tokenizer().encode(text, true, false), fromHf, text);
            assertArrayEquals(gguf.tokenize(text, true), hf.tokenize(text, true), text);
        }
        assertTrue(failures.isEmpty(), "differ from llama.cpp: " + failures);
    }

    @Test
    void greedyGenerationMatchesTheGguf() {
        List<Integer> want = generate(gguf), got = generate(hf);
        assertEquals(16, want.size());
        assertEquals(want, got);
    }

    @Test
    void onceUponATimeMatchesTheLlamaCppGolden() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(
                SharedTestData.require("golden/llama-2-tiny-random-once-upon-a-time.json").toFile());
        int[] prompt = hf.tokenize(golden.get("prompt").textValue(), true);
        assertEquals(golden.get("prompt_token_ids").toString(), java.util.Arrays.toString(prompt).replace(" ", ""));
    }

    private static List<Integer> generate(AirCela engine) {
        List<Integer> ids = new ArrayList<>();
        try (Generation g = engine.generate("Once upon a time", SamplingOptions.greedy(), 16)) {
            for (Token t : g) ids.add(t.id());
        }
        return ids;
    }
}
