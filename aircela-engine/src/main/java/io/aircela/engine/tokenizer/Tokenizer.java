package io.aircela.engine.tokenizer;

import io.aircela.weights.Metadata;

import java.nio.file.Path;

/**
 * Text to token ids and back, built from a model's GGUF tokenizer metadata ({@code tokenizer.ggml.*}),
 * reproducing llama.cpp's tokenizer (src/llama-vocab.cpp) id for id.
 *
 * <p>Two kinds are supported: {@code llama} (SentencePiece BPE by piece scores, with byte fallback) and
 * {@code gpt2} (byte-level BPE by merge rank, with the pre-tokenizer named by {@code tokenizer.ggml.pre}).
 *
 * <p>Implementations are immutable and thread-safe: one instance may encode on many threads at once.
 * Token ids are in {@code [0, vocabSize())}; methods taking an id throw {@link IndexOutOfBoundsException}
 * for any other value.
 */
public interface Tokenizer {

    /**
     * Builds the tokenizer described by {@code md}.
     *
     * @throws io.aircela.ModelFormatException     vocabulary data missing or malformed (names the key)
     * @throws io.aircela.UnsupportedModelException a tokenizer model or pre-tokenizer this build does not
     *                                             implement (the message lists the supported ones)
     */
    static Tokenizer fromMetadata(Metadata md) {
        return fromMetadata(md, null);
    }

    /** As {@link #fromMetadata(Metadata)}; {@code file} (may be null) only names the model in error messages. */
    static Tokenizer fromMetadata(Metadata md, Path file) {
        Vocabulary vocab = VocabularyReader.read(md, file);
        return switch (vocab.kind) {
            case SPM -> new SpmTokenizer(vocab, file);
            case BPE -> new BpeTokenizer(vocab, file);
        };
    }

    /**
     * The tokenizer of a model: for an HF model folder ({@code path} a folder holding {@code tokenizer.json})
     * its {@link HfTokenizer} (the caller closes it), otherwise the vocabulary in {@code md}
     * ({@link #fromMetadata(Metadata, Path)}).
     *
     * @param path the file or folder the model was opened from (may be null)
     */
    static Tokenizer forModel(Metadata md, Path path) {
        if (HfTokenizer.isPresent(path)) return HfTokenizer.open(path);
        return fromMetadata(md, path);
    }

    /**
     * Token ids of {@code text}, exactly as llama.cpp's {@code llama_tokenize}.
     *
     * @param addSpecial   add BOS and/or EOS where the vocabulary asks for them (llama.cpp's add_special)
     * @param parseSpecial recognise control-token texts such as {@code <|eot_id|>} in {@code text}; when
     *                     false only user-defined tokens are matched as whole pieces, as in llama.cpp
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** {@code encode(text, true, false)}: a prompt as typed by a user. */
    default int[] encode(String text) {
        return encode(text, true, false);
    }

    /**
     * The bytes this token contributes to output text (llama.cpp's token_to_piece without special
     * tokens): byte tokens {@code <0xNN>} give that byte, SentencePiece's {@code ▁} gives a space,
     * byte-level BPE chars give their bytes, control and unknown tokens give nothing. A piece may end
     * inside a UTF-8 character; {@link TokenDecoder} joins pieces into text. Returns a fresh array.
     */
    byte[] tokenBytes(int id);

    /** The raw vocabulary string of a token (e.g. {@code ▁the}, {@code Ġthe}, {@code <0x0A>}). */
    String piece(int id);

    /** Number of tokens; ids run from 0 to {@code vocabSize() - 1}. */
    int vocabSize();

    /** The beginning-of-sequence token, or -1 when the vocabulary has none. */
    int bosId();

    /** The end-of-sequence token, or -1 when the vocabulary has none. */
    int eosId();

    /**
     * Whether generating {@code id} ends generation: EOS, end-of-turn, end-of-message and the other
     * tokens llama.cpp's {@code llama_vocab_is_eog} reports. False for any id outside the vocabulary.
     */
    boolean isEndOfGeneration(int id);

    /** Whether {@link #encode(String)} puts BOS first. */
    boolean addsBos();
}
