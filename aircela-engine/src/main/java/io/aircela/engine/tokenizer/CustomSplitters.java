package io.aircela.engine.tokenizer;

import static io.aircela.engine.tokenizer.CodepointFlags.OUT_OF_RANGE;
import static io.aircela.engine.tokenizer.CodepointFlags.hasLetter;
import static io.aircela.engine.tokenizer.CodepointFlags.hasNumber;
import static io.aircela.engine.tokenizer.CodepointFlags.hasWhitespace;

/**
 * Hand-written pre-tokenizer splitters, ported branch for branch from llama.cpp's
 * {@code unicode_regex_split_custom_gpt2} and {@code unicode_regex_split_custom_llama3} (src/unicode.cpp).
 * llama.cpp uses these instead of a regex engine for exactly two patterns, so their quirks (for
 * example how {@code \s+(?!\S)} ends a run of whitespace) are the reference behaviour, not the regex.
 *
 * <p>One instance splits one segment {@code [ini, end)} of a code point array and appends the
 * lengths (in code points) of the pieces to {@code out}. Not thread-safe; cheap to create.
 */
final class CustomSplitters {
    /** llama.cpp's OUT_OF_RANGE code point, returned for positions outside the segment. */
    private static final int NO_CPT = -1;

    private final int[] cpts;
    private final int ini;
    private final int end;
    private final IntList out;
    private int prevEnd;

    private CustomSplitters(int[] cpts, int ini, int end, IntList out) {
        this.cpts = cpts;
        this.ini = ini;
        this.end = end;
        this.out = out;
        this.prevEnd = ini;
    }

    /** GPT-2: {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. */
    static void gpt2(int[] cpts, int ini, int end, IntList out) {
        new CustomSplitters(cpts, ini, end, out).splitGpt2();
    }

    /**
     * Llama 3: {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}.
     */
    static void llama3(int[] cpts, int ini, int end, IntList out) {
        new CustomSplitters(cpts, ini, end, out).splitLlama3();
    }

    private int cpt(int pos) {
        return pos >= ini && pos < end ? cpts[pos] : NO_CPT;
    }

    private int flags(int pos) {
        return pos >= ini && pos < end ? CodepointFlags.of(cpts[pos]) : OUT_OF_RANGE;
    }

    private int addToken(int until) {
        assert prevEnd <= until && until <= end;
        int len = until - prevEnd;
        if (len > 0) out.add(len);
        prevEnd = until;
        return len;
    }

    private static boolean isOther(int flags) {
        return !(hasWhitespace(flags) || hasLetter(flags) || hasNumber(flags)) && flags != OUT_OF_RANGE;
    }

    private void splitGpt2() {
        for (int pos = ini; pos < end; ) {
            int cpt = cpt(pos);
            int flags = flags(pos);
            int contraction = contraction(pos, false);
            if (contraction > 0) {
                pos += addToken(pos + contraction);
                continue;
            }
            int flags2 = cpt == ' ' ? flags(pos + 1) : flags;
            if (hasLetter(flags2)) { // <space>?\p{L}+
                pos += cpt == ' ' ? 1 : 0;
                while (hasLetter(flags2)) flags2 = flags(++pos);
                addToken(pos);
                continue;
            }
            if (hasNumber(flags2)) { // <space>?\p{N}+
                pos += cpt == ' ' ? 1 : 0;
                while (hasNumber(flags2)) flags2 = flags(++pos);
                addToken(pos);
                continue;
            }
            if (isOther(flags2)) { // <space>?[^\s\p{L}\p{N}]+
                pos += cpt == ' ' ? 1 : 0;
                while (isOther(flags2)) flags2 = flags(++pos);
                addToken(pos);
                continue;
            }
            pos = whitespace(pos, false);
        }
    }

    private void splitLlama3() {
        for (int pos = ini; pos < end; ) {
            int cpt = cpt(pos);
            int flags = flags(pos);
            int contraction = contraction(pos, true);
            if (contraction > 0) {
                pos += addToken(pos + contraction);
                continue;
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(cpt == '\r' || cpt == '\n' || hasNumber(flags)) && (hasLetter(flags) || hasLetter(flags(pos + 1)))) {
                pos++;
                while (hasLetter(flags(pos))) pos++;
                addToken(pos);
                continue;
            }
            if (hasNumber(flags)) { // \p{N}{1,3}
                int start = pos;
                while (hasNumber(flags(pos))) {
                    if (++pos - start >= 3) {
                        addToken(pos);
                        start = pos;
                    }
                }
                addToken(pos);
                continue;
            }
            // <space>?[^\s\p{L}\p{N}]+[\r\n]*  (llama.cpp tests the first code point's flags here, not flags2)
            int flags2 = cpt == ' ' ? flags(pos + 1) : flags;
            if (!(hasWhitespace(flags2) || hasLetter(flags2) || hasNumber(flags2)) && flags != OUT_OF_RANGE) {
                pos += cpt == ' ' ? 1 : 0;
                while (isOther(flags2)) flags2 = flags(++pos);
                int cpt2 = cpt(pos);
                while (cpt2 == '\r' || cpt2 == '\n') cpt2 = cpt(++pos);
                addToken(pos);
                continue;
            }
            pos = whitespace(pos, true);
        }
    }

    /** Length of an English contraction at {@code pos} ({@code 's}, {@code 're}, ...), or 0. */
    private int contraction(int pos, boolean ignoreCase) {
        if (cpt(pos) != '\'' || pos + 1 >= end) return 0;
        int next = lower(cpt(pos + 1), ignoreCase);
        if (next == 's' || next == 't' || next == 'm' || next == 'd') return 2;
        if (pos + 2 >= end) return 0;
        int nextNext = lower(cpt(pos + 2), ignoreCase);
        boolean two = (next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l');
        return two ? 3 : 0;
    }

    private static int lower(int cpt, boolean ignoreCase) {
        return ignoreCase && cpt >= 0 ? Character.toLowerCase(cpt) : cpt;
    }

    /**
     * The whitespace alternatives: (llama3 only) {@code \s*[\r\n]+}, then {@code \s+(?!\S)}, {@code \s+},
     * and finally a single unmatched code point. Returns the new position.
     */
    private int whitespace(int pos, boolean newlineRule) {
        int count = 0;
        int lastNewlineEnd = 0;
        while (hasWhitespace(flags(pos + count))) {
            int c = cpt(pos + count);
            if (c == '\r' || c == '\n') lastNewlineEnd = pos + count + 1;
            count++;
        }
        if (newlineRule && lastNewlineEnd > 0) {
            addToken(lastNewlineEnd);
            return lastNewlineEnd;
        }
        if (count > 1 && cpt(pos + count) != NO_CPT) { // \s+(?!\S): leave the last space to the next word
            pos += count - 1;
        } else if (count > 0) {
            pos += count;
        } else {
            pos++; // no alternative matched: the code point stands alone
        }
        addToken(pos);
        return pos;
    }
}
