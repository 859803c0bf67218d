package io.aircela.engine.tokenizer;

/**
 * Unicode classes of a code point as llama.cpp's {@code unicode_cpt_flags} sees them: one general
 * category group (the bits below) plus the White_Space property.
 *
 * <p>llama.cpp generates its table with Python's {@code regex} module, where {@code \p{C}} also covers
 * unassigned code points; Java's {@link Character#getType(int)} gives the same grouping (differences are
 * limited to code points assigned between the two Unicode versions). Stateless and thread-safe.
 */
final class CodepointFlags {
    static final int UNDEFINED = 0x0001;
    static final int NUMBER = 0x0002;
    static final int LETTER = 0x0004;
    static final int SEPARATOR = 0x0008;
    static final int ACCENT_MARK = 0x0010;
    static final int PUNCTUATION = 0x0020;
    static final int SYMBOL = 0x0040;
    static final int CONTROL = 0x0080;
    /** Not a category: the White_Space property, or'ed onto the category bit. */
    static final int WHITESPACE = 0x0100;

    /** What llama.cpp's lambdas return for a position outside the current segment: no bit at all. */
    static final int OUT_OF_RANGE = 0;

    private static final int MAX_CODEPOINTS = 0x110000;

    private CodepointFlags() {
    }

    /** Category bit of {@code cpt}, plus {@link #WHITESPACE} when it has that property. */
    static int of(int cpt) {
        if (cpt < 0 || cpt >= MAX_CODEPOINTS) return UNDEFINED;
        int flags = category(cpt);
        return isWhitespace(cpt) ? flags | WHITESPACE : flags;
    }

    static boolean hasLetter(int flags) {
        return (flags & LETTER) != 0;
    }

    static boolean hasNumber(int flags) {
        return (flags & NUMBER) != 0;
    }

    static boolean hasWhitespace(int flags) {
        return (flags & WHITESPACE) != 0;
    }

    /** The single category bit (llama.cpp's {@code category_flag()}). */
    static int category(int cpt) {
        return switch (Character.getType(cpt)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> ACCENT_MARK;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                 Character.OTHER_SYMBOL -> SYMBOL;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            default -> CONTROL; // Cc, Cf, Co, Cs and unassigned Cn, as Python's regex \p{C}
        };
    }

    /** The Unicode White_Space property (llama.cpp's {@code unicode_set_whitespace}); not Java's isWhitespace. */
    static boolean isWhitespace(int cpt) {
        return (cpt >= 0x09 && cpt <= 0x0D) || cpt == 0x20 || cpt == 0x85 || cpt == 0xA0 || cpt == 0x1680
                || (cpt >= 0x2000 && cpt <= 0x200A) || cpt == 0x2028 || cpt == 0x2029 || cpt == 0x202F
                || cpt == 0x205F || cpt == 0x3000;
    }
}
