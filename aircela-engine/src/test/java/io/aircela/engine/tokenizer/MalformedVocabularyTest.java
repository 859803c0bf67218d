package io.aircela.engine.tokenizer;

import io.aircela.ModelFormatException;
import io.aircela.UnsupportedModelException;
import io.aircela.weights.Metadata;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad or missing vocabulary metadata is a typed error naming the key; valid small vocabularies work. */
class MalformedVocabularyTest {
    private static final Path FILE = Path.of("bad.gguf");

    private static Map<String, Object> spm() {
        Map<String, Object> m = new HashMap<>();
        m.put("tokenizer.ggml.model", "llama");
        m.put("tokenizer.ggml.tokens", new String[] {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab", "<0x63>"});
        m.put("tokenizer.ggml.scores", new float[] {0, 0, 0, -1, -2, -3, -4, -5, -6, 0});
        m.put("tokenizer.ggml.token_type", new long[] {2, 3, 3, 1, 1, 1, 1, 1, 1, 6});
        return m;
    }

    private static Map<String, Object> bpe() {
        Map<String, Object> m = new HashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.pre", "gpt-2");
        m.put("tokenizer.ggml.tokens", new String[] {"a", "b", "Ġ", "ab", "Ġab", "<|endoftext|>"});
        m.put("tokenizer.ggml.token_type", new long[] {1, 1, 1, 1, 1, 3});
        m.put("tokenizer.ggml.merges", new String[] {"a b", "Ġ ab"});
        m.put("tokenizer.ggml.eos_token_id", 5L);
        return m;
    }

    private static ModelFormatException formatError(Map<String, Object> m) {
        return assertThrows(ModelFormatException.class, () -> Tokenizer.fromMetadata(new Metadata(m), FILE));
    }

    @Test
    void smallValidVocabulariesTokenize() {
        Tokenizer s = Tokenizer.fromMetadata(new Metadata(spm()), FILE);
        assertArrayEquals(new int[] {1, 8, 6, 9}, s.encode("ab ac")); // BOS ▁ab ▁a <0x63>
        Tokenizer b = Tokenizer.fromMetadata(new Metadata(bpe()), FILE);
        assertArrayEquals(new int[] {3, 4}, b.encode("ab ab"));
        assertEquals(5, b.eosId());
        assertTrue(b.isEndOfGeneration(5));
    }

    @Test
    void missingModelOrTokens() {
        Map<String, Object> m = spm();
        m.remove("tokenizer.ggml.model");
        assertEquals("tokenizer.ggml.model", formatError(m).field());
        m = spm();
        m.remove("tokenizer.ggml.tokens");
        ModelFormatException e = formatError(m);
        assertEquals("tokenizer.ggml.tokens", e.field());
        assertTrue(e.getMessage().contains("bad.gguf"), e.getMessage());
        m = spm();
        m.put("tokenizer.ggml.tokens", new long[] {1, 2});
        assertEquals("tokenizer.ggml.tokens", formatError(m).field());
        m.put("tokenizer.ggml.tokens", new String[0]);
        assertEquals("tokenizer.ggml.tokens", formatError(m).field());
    }

    @Test
    void scoresOrTypesOfTheWrongLength() {
        Map<String, Object> m = spm();
        m.put("tokenizer.ggml.scores", new float[3]);
        assertEquals("tokenizer.ggml.scores", formatError(m).field());
        m = spm();
        m.put("tokenizer.ggml.token_type", new long[3]);
        assertEquals("tokenizer.ggml.token_type", formatError(m).field());
    }

    @Test
    void tokenTypeOutOfRange() {
        Map<String, Object> m = spm();
        m.put("tokenizer.ggml.token_type", new long[] {2, 3, 3, 1, 1, 1, 1, 1, 7, 6});
        ModelFormatException e = formatError(m);
        assertEquals("tokenizer.ggml.token_type", e.field());
        assertTrue(e.getMessage().contains("entry 8"), e.getMessage());
        m.put("tokenizer.ggml.token_type", new long[] {2, 3, 3, 1, 1, 1, 1, 1, -1, 6});
        assertEquals("tokenizer.ggml.token_type", formatError(m).field());
    }

    @Test
    void mergesNotTwoParts() {
        Map<String, Object> m = bpe();
        m.put("tokenizer.ggml.merges", new String[] {"a b", "ab"});
        ModelFormatException e = formatError(m);
        assertEquals("tokenizer.ggml.merges", e.field());
        assertTrue(e.getMessage().contains("entry 1"), e.getMessage());
        m.remove("tokenizer.ggml.merges");
        assertEquals("tokenizer.ggml.merges", formatError(m).field());
    }

    @Test
    void duplicateTokensAndBadByteTokensAndWrongTypes() {
        Map<String, Object> m = spm();
        m.put("tokenizer.ggml.tokens", new String[] {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "a", "<0x63>"});
        assertEquals("tokenizer.ggml.tokens", formatError(m).field());
        m = spm();
        m.put("tokenizer.ggml.tokens", new String[] {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab", "<0xZZ>"});
        assertEquals("tokenizer.ggml.tokens", formatError(m).field());
        m = spm();
        m.put("tokenizer.ggml.bos_token_id", "one");
        assertEquals("tokenizer.ggml.bos_token_id", formatError(m).field());
        m = spm();
        m.put("tokenizer.ggml.add_bos_token", 1L);
        assertEquals("tokenizer.ggml.add_bos_token", formatError(m).field());
    }

    @Test
    void addingBosWithoutABosTokenIsAnError() {
        Map<String, Object> m = bpe();
        m.put("tokenizer.ggml.tokens", new String[] {"a", "b", "Ġ", "ab", "Ġab"});
        m.put("tokenizer.ggml.token_type", new long[] {1, 1, 1, 1, 1});
        m.put("tokenizer.ggml.add_bos_token", true); // BPE's default BOS id 11 is outside this vocabulary
        assertEquals("tokenizer.ggml.bos_token_id", formatError(m).field());
    }

    @Test
    void unknownModelOrPreTokenizerListsTheSupportedOnes() {
        Map<String, Object> m = spm();
        m.put("tokenizer.ggml.model", "t5");
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> Tokenizer.fromMetadata(new Metadata(m)));
        assertTrue(e.getMessage().contains("llama") && e.getMessage().contains("gpt2"), e.getMessage());
        Map<String, Object> b = bpe();
        b.put("tokenizer.ggml.pre", "deepseek-llm");
        e = assertThrows(UnsupportedModelException.class, () -> Tokenizer.fromMetadata(new Metadata(b)));
        assertTrue(e.getMessage().contains("deepseek-llm") && e.getMessage().contains("llama-bpe")
                && e.getMessage().contains("qwen2"), e.getMessage());
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        Tokenizer s = Tokenizer.fromMetadata(new Metadata(spm()));
        assertThrows(IndexOutOfBoundsException.class, () -> s.tokenBytes(10));
        assertThrows(IndexOutOfBoundsException.class, () -> s.piece(-1));
        assertEquals(false, s.isEndOfGeneration(99));
    }
}
