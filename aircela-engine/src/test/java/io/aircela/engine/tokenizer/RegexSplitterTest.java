package io.aircela.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The pre-tokenizer splits, including llama.cpp's multi-regex "default" and its collapsed-category regexes. */
class RegexSplitterTest {

    private static List<String> words(PreTokenizer pre, String text) {
        int[] cpts = text.codePoints().toArray();
        List<String> out = new ArrayList<>();
        int at = 0;
        for (int len : new RegexSplitter(pre.regexes()).split(cpts)) {
            out.add(new String(cpts, at, len));
            at += len;
        }
        return out;
    }

    @Test
    void defaultAppliesFourRegexesInTurn() {
        // [\p{P}$+<=>^~|]+ , then GPT-2's split of each piece, then \p{N}+, then [0-9]{3}
        assertEquals(List.of("Hello", ",", " world", "!!", " ", "123", "45"), words(PreTokenizer.DEFAULT, "Hello, world!! 12345"));
    }

    @Test
    void gpt2KeepsTheLastSpaceForTheNextWord() {
        assertEquals(List.of("a", "  ", " b", "'s", " 12", "\n"), words(PreTokenizer.GPT2, "a   b's 12\n"));
    }

    @Test
    void llama3GroupsDigitsByThreeAndNewlinesWithSpaces() {
        assertEquals(List.of("x", " ", "123", "456", "7", " \n\n", "ÉTÉ", "'S"), words(PreTokenizer.LLAMA3, "x 1234567 \n\nÉTÉ'S"));
    }

    @Test
    void qwen2SplitsEveryDigitAndLetsAnyNonNewlineLeadAWord() {
        // [^\r\n\p{L}\p{N}]?\p{L}+ : the ideographic space (collapsed to \x0B) leads the word
        assertEquals(List.of("a", "1", "2", "\u3000漢字", ",", " b", "\u3000\u3000\n"),
                words(PreTokenizer.QWEN2, "a12\u3000漢字, b\u3000\u3000\n"));
    }

    @Test
    void collapsedPatternRewritesCategories() {
        assertEquals("[^\\s\u00D2A-Za-z\u00D10-9]+|[\u00D2A-Za-z]", RegexSplitter.collapsePattern("[^\\s\\p{L}\\p{N}]+|\\p{L}"));
        assertEquals("a\u0B0B\u0B0B\u00D2\u00D1\u00D3\u00D5\u00D4\u00D0",
                RegexSplitter.collapseText("a\u3000\u3000é٣،€\u0301\u200B".codePoints().toArray())
                        .replace('\u000B', '\u0B0B'));
    }
}
