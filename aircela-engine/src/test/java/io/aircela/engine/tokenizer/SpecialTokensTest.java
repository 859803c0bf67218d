package io.aircela.engine.tokenizer;

import org.junit.jupiter.api.Test;

import io.aircela.weights.Metadata;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BOS/EOS defaults, end-of-generation tokens and special-token parsing, as llama.cpp sets them up. */
class SpecialTokensTest {

    @Test
    void bosAndEosPerVocabulary() {
        Tokenizer spm = Vocabs.load("vocab/ggml-vocab-llama-spm.gguf");
        assertEquals(1, spm.bosId());
        assertEquals(2, spm.eosId());
        assertTrue(spm.addsBos());
        assertArrayEquals(new int[] {1, 15043}, spm.encode("Hello"));
        assertArrayEquals(new int[] {1}, spm.encode(""));

        Tokenizer llama3 = Vocabs.load("vocab/ggml-vocab-llama-bpe.gguf");
        assertTrue(llama3.addsBos());
        assertArrayEquals(new int[] {128000, 9906, 1917}, llama3.encode("Hello world"));

        Tokenizer gpt2 = Vocabs.load("vocab/ggml-vocab-gpt-2.gguf");
        assertFalse(gpt2.addsBos());
        assertEquals(50256, gpt2.bosId());
        assertArrayEquals(gpt2.encode("Hello world", false, false), gpt2.encode("Hello world"));

        assertFalse(Vocabs.load("vocab/ggml-vocab-qwen2.gguf").addsBos());
    }

    @Test
    void endOfGeneration() {
        Tokenizer llama3 = Vocabs.load("vocab/ggml-vocab-llama-bpe.gguf");
        assertTrue(llama3.isEndOfGeneration(128001)); // <|end_of_text|> (eos)
        assertTrue(llama3.isEndOfGeneration(128009)); // <|eot_id|>
        assertFalse(llama3.isEndOfGeneration(128008)); // a reserved token in Llama 3.0 (3.1 made it <|eom_id|>)
        assertFalse(llama3.isEndOfGeneration(128000));
        assertFalse(llama3.isEndOfGeneration(9906));
        assertFalse(llama3.isEndOfGeneration(-1));

        Tokenizer qwen = Vocabs.load("vocab/ggml-vocab-qwen2.gguf");
        int imEnd = qwen.encode("<|im_end|>", false, true)[0];
        assertEquals("<|im_end|>", qwen.piece(imEnd));
        assertTrue(qwen.isEndOfGeneration(imEnd));
        assertTrue(qwen.isEndOfGeneration(qwen.eosId())); // <|endoftext|>
        assertTrue(Vocabs.load("vocab/ggml-vocab-llama-spm.gguf").isEndOfGeneration(2));
    }

    @Test
    void controlTokensAreParsedOnlyWhenAsked() {
        Tokenizer llama3 = Vocabs.load("vocab/ggml-vocab-llama-bpe.gguf");
        String text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        int[] parsed = llama3.encode(text, true, true);
        assertArrayEquals(new int[] {128000, 128006, 882, 128007, 271, 13347, 128009}, parsed);
        int[] literal = llama3.encode(text, false, false);
        for (int id : literal) assertTrue(id < 128000, "no special token when parse_special is false");
        assertEquals(text, Vocabs.decode(llama3, literal));
    }

    @Test
    void sentencePiecePrefixesASpaceAfterEachSpecialToken() {
        Tokenizer spm = Vocabs.load("vocab/ggml-vocab-llama-spm.gguf");
        // llama.cpp: is_prev_special -> " Hello" after <s>, and "</s>" then " world"
        assertArrayEquals(new int[] {1, 15043, 2, 3186}, spm.encode("<s>Hello</s>world", false, true));
        assertArrayEquals(new int[] {1, 1, 15043}, spm.encode("<s>Hello", true, true));
    }

    @Test
    void userDefinedTokensAreMatchedEvenWithoutParseSpecial() {
        Tokenizer qwen = Vocabs.load("vocab/ggml-vocab-qwen2.gguf");
        int found = 0;
        for (int id = 151643; id < qwen.vocabSize(); id++) {
            String piece = qwen.piece(id);
            int[] ids = qwen.encode("x" + piece + "y", false, false);
            byte[] bytes = qwen.tokenBytes(id);
            if (bytes.length > 0) { // user-defined (control tokens print nothing and are not matched)
                assertEquals(3, ids.length, piece);
                assertEquals(id, ids[1], piece);
                assertArrayEquals(piece.getBytes(StandardCharsets.UTF_8), bytes);
                found++;
            } else {
                assertFalse(ids.length == 3 && ids[1] == id, piece + " is control: not matched");
            }
        }
        assertTrue(found > 100, "qwen2 has hundreds of user-defined tokens, found " + found);
    }

    @Test
    void tokensDetectedByNameBecomeControlAndEndGeneration() {
        // llama.cpp finds FIM and end-of-turn tokens by their text, forces them to control type, and adds
        // <|fim_pad|>, <|file_sep|> (not <|fim_prefix|>) and the end-of-turn texts to the end-of-generation set
        Map<String, Object> m = new HashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.pre", "qwen2");
        m.put("tokenizer.ggml.tokens", new String[] {"a", "b", "<|fim_pad|>", "<|file_sep|>", "<|fim_prefix|>",
                "<|endoftext|>", "<|im_end|>", "<|extra|>"});
        m.put("tokenizer.ggml.token_type", new long[] {1, 1, 4, 4, 4, 1, 4, 4});
        m.put("tokenizer.ggml.merges", new String[] {"a b"});
        Tokenizer t = Tokenizer.fromMetadata(new Metadata(m));
        for (int id = 2; id <= 6; id++) {
            assertEquals(0, t.tokenBytes(id).length, t.piece(id) + " is control now: prints nothing");
            assertArrayEquals(new int[] {id}, t.encode(t.piece(id), false, true));
            assertFalse(Arrays.equals(new int[] {id}, t.encode(t.piece(id), false, false)), t.piece(id) + " needs parse_special now");
            assertEquals(id != 4, t.isEndOfGeneration(id), t.piece(id));
        }
        assertArrayEquals(new int[] {0, 7, 1}, t.encode("a<|extra|>b", false, false)); // still user-defined
        assertArrayEquals("<|extra|>".getBytes(StandardCharsets.UTF_8), t.tokenBytes(7));
        assertFalse(t.isEndOfGeneration(7));
        assertEquals(-1, t.bosId()); // llama.cpp's BPE default BOS id (11) lies outside this vocabulary
    }
}
