package io.aircela.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into pre-tokenizer words as llama.cpp's {@code unicode_regex_split} does: each regex in
 * turn splits every piece the previous ones produced, and text no match covers stays a piece of its own.
 *
 * <p>Two patterns (GPT-2's and Llama 3's) run as llama.cpp's hand-written splitters
 * ({@link CustomSplitters}). Any other pattern runs the way llama.cpp's {@code std::regex} fallback does:
 * if it names Unicode categories ({@code \p{L}} ...), every code point of the text is first "collapsed"
 * to one char (ASCII stays, White_Space becomes {@code \x0B}, a letter becomes {@code \xD2}, ...) and the
 * categories in the pattern are rewritten to match those chars; java.util.regex then agrees with
 * ECMAScript for the constructs these patterns use (classes, alternation, greedy quantifiers, lookahead),
 * and {@code \s} is {@code [ \t\n\x0B\f\r]} in both. Immutable and thread-safe.
 */
final class RegexSplitter {
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3_ORIGINAL = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The category names llama.cpp rewrites, and the collapsed char each stands for. */
    private static final String[] CATEGORY_NAMES = {"\\p{N}", "\\p{L}", "\\p{P}", "\\p{M}", "\\p{S}",
            "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}"};
    private static final int[] CATEGORY_FLAGS = {CodepointFlags.NUMBER, CodepointFlags.LETTER,
            CodepointFlags.PUNCTUATION, CodepointFlags.ACCENT_MARK, CodepointFlags.SYMBOL, CodepointFlags.LETTER,
            CodepointFlags.LETTER, CodepointFlags.LETTER, CodepointFlags.LETTER, CodepointFlags.LETTER};

    private sealed interface Step permits Custom, Regex {
    }

    private record Custom(boolean llama3) implements Step {
    }

    private record Regex(Pattern pattern, boolean collapsed) implements Step {
    }

    private final List<Step> steps;
    private final boolean needsCollapse;

    RegexSplitter(List<String> regexes) {
        List<Step> list = new ArrayList<>();
        boolean collapse = false;
        for (String re : regexes) {
            if (re.equals(GPT2)) {
                list.add(new Custom(false));
            } else if (re.equals(LLAMA3) || re.equals(LLAMA3_ORIGINAL)) {
                list.add(new Custom(true));
            } else {
                boolean usesCategories = usesCategories(re);
                collapse |= usesCategories;
                list.add(new Regex(Pattern.compile(usesCategories ? collapsePattern(re) : re), usesCategories));
            }
        }
        this.steps = List.copyOf(list);
        this.needsCollapse = collapse;
    }

    /** Splits {@code cpts}; returns the length in code points of each word, in order (no zero lengths). */
    int[] split(int[] cpts) {
        IntList offsets = new IntList(1);
        if (cpts.length > 0) offsets.add(cpts.length);
        String collapsed = needsCollapse ? collapseText(cpts) : null;
        WideText wide = null;
        for (Step step : steps) {
            IntList next = new IntList(offsets.size() * 2);
            int start = 0;
            for (int i = 0; i < offsets.size(); i++) {
                int len = offsets.get(i);
                switch (step) {
                    case Custom c when c.llama3() -> CustomSplitters.llama3(cpts, start, start + len, next);
                    case Custom c -> CustomSplitters.gpt2(cpts, start, start + len, next);
                    case Regex r when r.collapsed() -> splitRegex(r.pattern(), collapsed, null, start, len, next);
                    case Regex r -> {
                        if (wide == null) wide = new WideText(cpts);
                        splitRegex(r.pattern(), wide.text, wide, start, len, next);
                    }
                }
                start += len;
            }
            offsets = next;
        }
        return offsets.toArray();
    }

    /** Like {@code unicode_regex_split_stl}: matches and the gaps between them become pieces. */
    private static void splitRegex(Pattern p, String text, WideText wide, int start, int len, IntList out) {
        int from = wide == null ? start : wide.charOf[start];
        int to = wide == null ? start + len : wide.charOf[start + len];
        Matcher m = p.matcher(text).region(from, to); // opaque bounds: lookahead stops at the piece's end
        int done = start;
        while (m.find()) {
            int ms = wide == null ? m.start() : wide.cptOf(m.start());
            int me = wide == null ? m.end() : wide.cptOf(m.end());
            if (ms > done) out.add(ms - done);
            if (me > ms) out.add(me - ms);
            done = Math.max(done, me);
        }
        if (done < start + len) out.add(start + len - done);
    }

    private static boolean usesCategories(String re) {
        for (String name : CATEGORY_NAMES) {
            if (re.contains(name)) return true;
        }
        return false;
    }

    /** llama.cpp's collapsed text: one char per code point. */
    static String collapseText(int[] cpts) {
        char[] chars = new char[cpts.length];
        for (int i = 0; i < cpts.length; i++) chars[i] = collapse(cpts[i]);
        return new String(chars);
    }

    private static char collapse(int cpt) {
        if (cpt < 128) return (char) cpt;
        if (CodepointFlags.isWhitespace(cpt)) return 0x0B; // std::regex's \s misses non-ASCII spaces
        return switch (CodepointFlags.category(cpt)) {
            case CodepointFlags.NUMBER -> 0xD1;
            case CodepointFlags.LETTER -> 0xD2;
            case CodepointFlags.PUNCTUATION -> 0xD3;
            case CodepointFlags.ACCENT_MARK -> 0xD4;
            case CodepointFlags.SYMBOL -> 0xD5;
            default -> 0xD0;
        };
    }

    /** Rewrites each {@code \p{..}} to its collapsed char plus the ASCII members of the category. */
    static String collapsePattern(String re) {
        for (int i = 0; i < re.length(); i++) {
            if (re.charAt(i) >= 128) {
                throw new IllegalArgumentException("regex mixes Unicode categories and non-ASCII characters: " + re);
            }
        }
        StringBuilder sb = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '[' && (i == 0 || re.charAt(i - 1) != '\\')) {
                sb.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && re.charAt(i - 1) != '\\') {
                sb.append(']');
                inside = false;
                continue;
            }
            int category = categoryAt(re, i);
            if (category >= 0) {
                int flag = CATEGORY_FLAGS[category];
                sb.append(inside ? "" : "[").append(collapsedChar(flag)).append(asciiMembers(flag)).append(inside ? "" : "]");
                i += CATEGORY_NAMES[category].length() - 1;
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static int categoryAt(String re, int i) {
        for (int k = 0; k < CATEGORY_NAMES.length; k++) {
            if (re.startsWith(CATEGORY_NAMES[k], i)) return k;
        }
        return -1;
    }

    private static char collapsedChar(int flag) {
        return collapse(switch (flag) {
            case CodepointFlags.NUMBER -> 0x0660; // any non-ASCII member of the category collapses alike
            case CodepointFlags.LETTER -> 0x00AA;
            case CodepointFlags.PUNCTUATION -> 0x00A1;
            case CodepointFlags.ACCENT_MARK -> 0x0300;
            default -> 0x00A2;
        });
    }

    /** llama.cpp's {@code k_ucat_map}: the ASCII code points of each category, as a class body. */
    private static String asciiMembers(int flag) {
        return switch (flag) {
            case CodepointFlags.NUMBER -> "0-9";
            case CodepointFlags.LETTER -> "A-Za-z";
            case CodepointFlags.PUNCTUATION -> "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
            case CodepointFlags.ACCENT_MARK -> "";
            default -> "\\$\\+<->\\^`\\|";
        };
    }

    /** Text for a pattern without categories: one code point per regex "char", non-ASCII spaces as \x0B. */
    private static final class WideText {
        final String text;
        final int[] charOf; // code point index -> char index, length n + 1
        private final int[] cptOfChar; // char index -> code point index, length chars + 1

        WideText(int[] cpts) {
            StringBuilder sb = new StringBuilder(cpts.length);
            charOf = new int[cpts.length + 1];
            for (int i = 0; i < cpts.length; i++) {
                charOf[i] = sb.length();
                int c = cpts[i];
                sb.appendCodePoint(c > 0x7F && CodepointFlags.isWhitespace(c) ? 0x0B : c);
            }
            charOf[cpts.length] = sb.length();
            text = sb.toString();
            cptOfChar = new int[text.length() + 1];
            for (int i = 0; i < cpts.length; i++) {
                for (int ch = charOf[i]; ch < charOf[i + 1]; ch++) cptOfChar[ch] = i;
            }
            cptOfChar[text.length()] = cpts.length;
        }

        int cptOf(int charIndex) {
            return cptOfChar[charIndex];
        }
    }
}
