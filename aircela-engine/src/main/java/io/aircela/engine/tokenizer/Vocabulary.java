package io.aircela.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Map;

/**
 * A validated vocabulary as llama.cpp's {@code llama_vocab} holds it after loading: pieces, scores,
 * attributes (after llama.cpp's by-name fix-ups), special ids, flags, the end-of-generation set and the
 * special-token matching order. Built by {@link VocabularyReader}; immutable and thread-safe.
 */
final class Vocabulary {
    /** SentencePiece-style ({@code llama}) or byte-level BPE ({@code gpt2}). */
    enum Kind { SPM, BPE }

    final Kind kind;
    /** The BPE pre-tokenizer; {@code null} for SPM. */
    final PreTokenizer pre;
    final String[] pieces;
    final float[] scores;
    final int[] attrs;
    /** BPE merges ("left right"), in rank order; empty for SPM. */
    final String[] merges;
    final int bos;
    final int eos;
    final int unk;
    final boolean addBos;
    final boolean addEos;
    final boolean addSpacePrefix;
    private final Map<String, Integer> ids;
    private final BitSet endOfGeneration;
    /** Control, user-defined and unknown tokens, longest text (in UTF-8 bytes) first. */
    final int[] specialTokens;

    /** Ids of the tokens the encoder itself emits; -1 where the vocabulary has none. */
    record SpecialIds(int bos, int eos, int unk) {
    }

    /** llama.cpp's add_bos, add_eos and add_space_prefix, after defaults and GGUF overrides. */
    record Flags(boolean addBos, boolean addEos, boolean addSpacePrefix) {
    }

    Vocabulary(Kind kind, PreTokenizer pre, String[] pieces, float[] scores, int[] attrs, String[] merges,
               Map<String, Integer> ids, SpecialIds special, Flags flags, BitSet eog, int[] specialTokens) {
        this.kind = kind;
        this.pre = pre;
        this.pieces = pieces;
        this.scores = scores;
        this.attrs = attrs;
        this.merges = merges;
        this.ids = ids;
        this.bos = special.bos();
        this.eos = special.eos();
        this.unk = special.unk();
        this.addBos = flags.addBos();
        this.addEos = flags.addEos();
        this.addSpacePrefix = flags.addSpacePrefix();
        this.endOfGeneration = eog;
        this.specialTokens = specialTokens;
    }

    int size() {
        return pieces.length;
    }

    /** The id of a token text, or -1 (llama.cpp's text_to_token). */
    int idOf(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    boolean has(int id, int attr) {
        return (attrs[id] & attr) != 0;
    }

    boolean isEndOfGeneration(int id) {
        return id >= 0 && endOfGeneration.get(id);
    }

    static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
