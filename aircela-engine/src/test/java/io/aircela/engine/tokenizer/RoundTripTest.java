package io.aircela.engine.tokenizer;

import io.aircela.tck.SharedTestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding what was encoded gives the text back, on every vocabulary, for scripts, emoji and controls. */
class RoundTripTest {
    static final List<String> TEXTS = List.of(
            "Hello world", "  leading and trailing  ", "tabs\tand\nnewlines\r\n\n", "Ünïcödé ß café naïve",
            "漢字とひらがな、カタカナ。", "한국어 텍스트", "Русский текст", "العربية", "emoji 😀 and 👍🏽 and 👨‍👩‍👧‍👦 flags 🇫🇷",
            "math ∑∫√∞ ≠ ≤", "numbers 1234567890 3.14159 ١٢٣", "don't WON'T it's y'all", "\u00A0nbsp\u2003em\u3000ideo",
            "<s></s><unk><|endoftext|><|eot_id|> as text", "C++ std::vector<int> v{1,2,3};", "\u0000\u0001\u007F",
            "x".repeat(300), " ".repeat(50) + "end", "ǅ titlecase ⅷ roman ²³", "Cửa Việt", "\uFFFD replacement");

    @ParameterizedTest
    @ValueSource(strings = {"vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-bpe.gguf",
            "vocab/ggml-vocab-qwen2.gguf", "vocab/ggml-vocab-gpt-2.gguf", "stories260k.gguf"})
    void decodeOfEncodeIsIdentity(String model) throws IOException {
        Tokenizer tok = Vocabs.load(model);
        List<String> texts = new ArrayList<>(TEXTS);
        texts.addAll(LlamaCppVocabTest.inputs(SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf.inp")));
        // SentencePiece prefixes a space to the text (add_space_prefix); streaming keeps it, as llama.cpp's pieces do
        String prefix = tok instanceof SpmTokenizer ? " " : "";
        List<String> failures = new ArrayList<>();
        for (String text : texts) {
            int[] ids = tok.encode(text, false, false);
            String back = Vocabs.decode(tok, ids);
            String expected = text.isEmpty() ? "" : prefix + text;
            if (!expected.equals(back)) failures.add(LlamaCppVocabTest.escape(text) + " -> " + LlamaCppVocabTest.escape(back));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @ParameterizedTest
    @ValueSource(strings = {"vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-bpe.gguf"})
    void longInputsEncodeAndRoundTrip(String model) {
        Tokenizer tok = Vocabs.load(model);
        String text = String.join(" ", TEXTS).repeat(20) + " ".repeat(5000) + "\n".repeat(3000) + "a".repeat(20000);
        int[] ids = tok.encode(text, false, false);
        assertTrue(ids.length > 1000);
        String prefix = tok instanceof SpmTokenizer ? " " : "";
        assertEquals(prefix + text, Vocabs.decode(tok, ids));
    }
}
