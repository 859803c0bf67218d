package io.aircela.engine.tokenizer;

import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real HuggingFace tokenizer files in shared/models/hf through DJL: the Llama-2 tokenizer.json gives
 * llama.cpp's ids for every golden string (and the same ids as the GGUF vocabulary), GPT-2's byte-level BPE
 * round-trips text byte for byte.
 */
class HfTokenizerTest {
    static HfTokenizer llama2, gpt2;

    @BeforeAll
    static void open() {
        llama2 = HfTokenizer.open(SharedTestData.require("models/hf/llama2-tokenizer"));
        gpt2 = HfTokenizer.open(SharedTestData.require("models/hf/gpt2-tokenizer"));
    }

    @AfterAll
    static void close() {
        if (llama2 != null) llama2.close();
        if (gpt2 != null) gpt2.close();
    }

    @Test
    void llama2GoldenStringsGiveLlamaCppIds() throws IOException {
        Map<?, ?> golden = GoldenTokenizationTest.json("tokenizer-llama2.json");
        Tokenizer gguf = Vocabs.load((String) golden.get("model"));
        List<String> failures = new ArrayList<>();
        List<?> cases = (List<?>) golden.get("cases");
        assertTrue(cases.size() >= 10);
        for (Object c : cases) {
            Map<?, ?> m = (Map<?, ?>) c;
            String text = (String) m.get("text");
            int[] expected = MiniJson.ints(m.get("ids"));
            int[] hf = llama2.encode(text, true, false);
            if (!Arrays.equals(expected, hf))
                failures.add(LlamaCppVocabTest.escape(text) + " expected " + Arrays.toString(expected) + " got "
                        + Arrays.toString(hf));
            assertArrayEquals(gguf.encode(text), hf, text);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void llama2SpecialTokensFollowTheConfig() {
        assertEquals(32000, llama2.vocabSize());
        assertEquals(1, llama2.bosId());
        assertEquals(2, llama2.eosId());
        assertTrue(llama2.addsBos(), "TinyLlama's config has no add_bos_token: the <s> template decides");
        assertFalse(llama2.addsEos());
        assertTrue(llama2.isEndOfGeneration(2));
        assertFalse(llama2.isEndOfGeneration(1));
        assertFalse(llama2.isEndOfGeneration(-1));
        assertFalse(llama2.isEndOfGeneration(1 << 20));
        assertArrayEquals(new int[] {15043}, llama2.encode("Hello", false, false));
        assertArrayEquals(new int[] {1, 15043}, llama2.encode("Hello"));
    }

    @Test
    void llama2PiecesAndBytesAsLlamaCpp() {
        Tokenizer gguf = Vocabs.load("llama-2-tiny-random.gguf");
        for (int id = 0; id < llama2.vocabSize(); id++) {
            assertEquals(gguf.piece(id), llama2.piece(id), "piece " + id);
            assertArrayEquals(gguf.tokenBytes(id), llama2.tokenBytes(id), "bytes of " + id + " " + gguf.piece(id));
        }
    }

    @Test
    void llama2DecodesWhatItEncodes() {
        String text = "Ünïcödé ß café naïve 漢字 emoji 😀 tabs\tand\nnewlines";
        assertEquals(" " + text, Vocabs.decode(llama2, llama2.encode(text, false, false)));
    }

    @Test
    void gpt2RoundTripsBytes() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50256, gpt2.eosId());
        assertEquals(50256, gpt2.bosId());
        assertFalse(gpt2.addsBos(), "GPT-2's post-processor adds nothing");
        assertTrue(gpt2.isEndOfGeneration(50256));
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world"));
        for (String text : List.of("Hello world", " leading and trailing  ", "Ünïcödé ß café 漢字とひらがな 😀👍🏽",
                "code: for (int i = 0; i < n; i++) {\n\treturn x;\n}", "numbers 1234567890 3.14159", "")) {
            int[] ids = gpt2.encode(text, true, false);
            assertEquals(text, Vocabs.decode(gpt2, ids), text);
            StringBuilder joined = new StringBuilder();
            for (int id : ids) joined.append(gpt2.piece(id));
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), ByteLevel.decode(joined.toString()));
        }
    }

    @Test
    void gpt2SpecialTokenTextIsRecognisedAndGivesNoBytes() {
        int[] ids = gpt2.encode("a<|endoftext|>b", false, true);
        assertArrayEquals(new int[] {64, 50256, 65}, ids);
        assertEquals(0, gpt2.tokenBytes(50256).length);
        assertEquals("<|endoftext|>", gpt2.piece(50256));
    }

    @Test
    void longTextIsNotTruncated() {
        String text = String.join(" ", java.util.Collections.nCopies(3000, "word"));
        assertEquals(3000, gpt2.encode(text, false, false).length, "DJL's default 512-token truncation is off");
        assertArrayEquals(Vocabs.load("llama-2-tiny-random.gguf").encode(text), llama2.encode(text, true, false));
    }

    @Test
    void idsOutsideTheVocabularyThrow() {
        assertThrows(IndexOutOfBoundsException.class, () -> llama2.tokenBytes(32000));
        assertThrows(IndexOutOfBoundsException.class, () -> llama2.piece(-1));
    }

    @Test
    void theSelectionPicksTokenizerJsonInAFolder() {
        Path folder = SharedTestData.require("models/hf/llama2-tokenizer");
        Tokenizer t = Tokenizer.forModel(null, folder);
        try {
            assertTrue(t instanceof HfTokenizer);
            assertArrayEquals(new int[] {1, 15043}, t.encode("Hello"));
        } finally {
            ((HfTokenizer) t).close();
        }
    }

    @Test
    void closedTokenizerRefusesToEncodeAndClosesTwice() {
        HfTokenizer t = HfTokenizer.open(SharedTestData.require("models/hf/gpt2-tokenizer"));
        t.close();
        t.close();
        assertThrows(IllegalStateException.class, () -> t.encode("x"));
    }

    @Test
    void djlRunsOffline() {
        assertTrue(ai.djl.util.Utils.isOfflineMode(), "DJL must be in offline mode once a tokenizer was made");
        DjlTokenizers.OFFLINE_PROPERTIES.forEach((k, v) -> assertEquals(v, System.getProperty(k), k));
    }
}
