package io.aircela.engine.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What both tokenizer kinds share: llama.cpp's {@code tokenizer_st_partition} (cutting special-token
 * texts out of the input before the model tokenizer sees it), BOS/EOS, and the vocabulary queries.
 * Subclasses tokenize the plain-text fragments. Immutable and thread-safe.
 */
abstract sealed class VocabTokenizer implements Tokenizer permits SpmTokenizer, BpeTokenizer {
    final Vocabulary vocab;
    final Path file;

    /** A piece of the input: either special token {@code token}, or raw text {@code [start, end)}. */
    private record Fragment(int token, int start, int end) {
        static Fragment text(int start, int end) {
            return new Fragment(-1, start, end);
        }

        boolean isText() {
            return token < 0;
        }
    }

    VocabTokenizer(Vocabulary vocab, Path file) {
        this.vocab = vocab;
        this.file = file;
    }

    /**
     * Tokenizes one plain-text fragment into {@code out}.
     *
     * @param afterSpecial the fragment starts the input or follows a special token (SentencePiece then
     *                     prefixes a space, as llama.cpp's is_prev_special)
     */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    @Override
    public final int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        String input = text.isEmpty() ? text : wellFormed(text);
        IntList out = new IntList(input.length() / 3 + 4);
        if (addSpecial && vocab.addBos) out.add(vocab.bos);
        boolean afterSpecial = true;
        for (Fragment f : partition(input, parseSpecial)) {
            if (f.isText()) {
                encodeText(input.substring(f.start(), f.end()), afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(f.token());
                afterSpecial = true;
            }
        }
        if (addSpecial && vocab.addEos) out.add(vocab.eos);
        return out.toArray();
    }

    /** llama.cpp's tokenizer_st_partition: each special token in turn is cut out of every text fragment. */
    private List<Fragment> partition(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (!text.isEmpty()) fragments.add(Fragment.text(0, text.length()));
        for (int id : vocab.specialTokens) {
            // control and unknown tokens only when asked; user-defined ones always, as Hugging Face does
            if (!parseSpecial && vocab.has(id, TokenAttr.CONTROL | TokenAttr.UNKNOWN)) continue;
            String special = vocab.pieces[id];
            if (text.indexOf(special) < 0) continue;
            List<Fragment> next = new ArrayList<>(fragments.size() + 2);
            for (Fragment f : fragments) {
                if (f.isText()) cut(text, f.start(), f.end(), id, special, next);
                else next.add(f);
            }
            fragments = next;
        }
        return fragments;
    }

    private void cut(String text, int start, int end, int id, String special, List<Fragment> out) {
        int base = start;
        while (base < end) {
            int match = text.indexOf(special, base);
            if (match < 0 || match + special.length() > end) break;
            int leftEnd = match;
            if (vocab.has(id, TokenAttr.LSTRIP)) {
                while (leftEnd > base && isCSpace(text.charAt(leftEnd - 1))) leftEnd--;
            }
            if (leftEnd > base) out.add(Fragment.text(base, leftEnd));
            out.add(new Fragment(id, 0, 0));
            base = match + special.length();
            if (vocab.has(id, TokenAttr.RSTRIP)) {
                while (base < end && isCSpace(text.charAt(base))) base++;
            }
        }
        if (base < end) out.add(Fragment.text(base, end));
    }

    /** C's isspace in the "C" locale. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** Lone surrogates (not text) become U+FFFD, as llama.cpp does for invalid UTF-8. */
    private static String wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                StringBuilder sb = new StringBuilder(s.length());
                s.codePoints().forEach(c -> sb.appendCodePoint(Character.isSurrogate((char) c) && c < 0x10000 ? 0xFFFD : c));
                return sb.toString();
            }
        }
        return s;
    }

    @Override
    public String piece(int id) {
        return vocab.pieces[Objects.checkIndex(id, vocab.size())];
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bosId() {
        return vocab.bos;
    }

    @Override
    public int eosId() {
        return vocab.eos;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < vocab.size() && vocab.isEndOfGeneration(id);
    }

    @Override
    public boolean addsBos() {
        return vocab.addBos;
    }

    /** Control and unknown tokens print nothing (token_to_piece with special = false). */
    final boolean printsNothing(int id) {
        return vocab.has(Objects.checkIndex(id, vocab.size()), TokenAttr.CONTROL | TokenAttr.UNKNOWN);
    }
}
