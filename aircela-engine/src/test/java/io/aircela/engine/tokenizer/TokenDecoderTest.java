package io.aircela.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenDecoderTest {

    @Test
    void holdsBackCharactersSplitAcrossByteTokens() {
        Tokenizer tok = Vocabs.load("vocab/ggml-vocab-llama-spm.gguf");
        int[] ids = tok.encode("a😀b", false, false);
        // llama.cpp's ids: ▁a, then the emoji as four byte-fallback tokens, then b
        assertArrayEquals(new int[] {263, 243, 162, 155, 131, 29890}, ids);
        TokenDecoder d = new TokenDecoder(tok);
        List<String> parts = new ArrayList<>();
        for (int id : ids) parts.add(d.accept(id));
        assertEquals(List.of(" a", "", "", "", "😀", "b"), parts);
        assertEquals("", d.flush());
    }

    @Test
    void byteLevelPiecesEndingInsideACharacterAreHeldBack() {
        Tokenizer tok = Vocabs.load("vocab/ggml-vocab-gpt-2.gguf");
        String text = "漢字とひらがな 😀👍🏽";
        TokenDecoder d = new TokenDecoder(tok);
        StringBuilder all = new StringBuilder();
        boolean sawHeldBack = false;
        for (int id : tok.encode(text, false, false)) {
            String part = d.accept(id);
            sawHeldBack |= part.isEmpty();
            assertTrue(part.isEmpty() || !Character.isHighSurrogate(part.charAt(part.length() - 1)), "never half a pair");
            assertTrue(part.indexOf('\uFFFD') < 0, "never a broken character: " + part);
            all.append(part);
        }
        assertTrue(sawHeldBack, "GPT-2 splits these characters across tokens, so some tokens complete nothing");
        assertEquals(text, all.append(d.flush()).toString());
    }

    @Test
    void flushTurnsAnIncompleteTailIntoReplacementAndResets() {
        Tokenizer tok = Vocabs.load("vocab/ggml-vocab-llama-spm.gguf");
        TokenDecoder d = new TokenDecoder(tok);
        assertEquals("", d.accept(243)); // <0xF0>: first byte of a 4-byte character
        assertEquals("", d.accept(162)); // <0x9F>
        assertEquals("\uFFFD", d.flush());
        assertEquals(" x", d.accept(921)); // ▁x
        assertEquals("", d.flush());
    }

    @Test
    void invalidBytesBecomeReplacementWithoutSwallowingTheNextText() {
        Tokenizer tok = Vocabs.load("vocab/ggml-vocab-llama-spm.gguf");
        TokenDecoder d = new TokenDecoder(tok);
        assertEquals("", d.accept(243)); // <0xF0>
        assertEquals("\uFFFD x", d.accept(921)); // ▁x cannot continue it
        assertEquals("\uFFFD", d.accept(258)); // <0xFF> is never valid UTF-8
    }

    @Test
    void controlTokensPrintNothing() {
        Tokenizer tok = Vocabs.load("vocab/ggml-vocab-llama-bpe.gguf");
        TokenDecoder d = new TokenDecoder(tok);
        assertEquals("", d.accept(tok.bosId()));
        assertEquals(0, tok.tokenBytes(128009).length); // <|eot_id|>
        assertEquals("Hello", d.accept(9906));
    }
}
