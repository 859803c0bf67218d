package io.aircela.engine;

import io.aircela.AirCelaException;
import io.aircela.engine.generate.TextCodec;
import io.aircela.engine.tokenizer.HfTokenizer;
import io.aircela.engine.tokenizer.TokenDecoder;
import io.aircela.engine.tokenizer.Tokenizer;
import io.aircela.weights.Metadata;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model's {@link Tokenizer} as the generation loop's {@link TextCodec}. Thread-safe as the tokenizer is.
 * Owns the tokenizer when it holds native resources (an {@link io.aircela.engine.tokenizer.HfTokenizer}).
 */
final class TokenizerCodec implements TextCodec, AutoCloseable {
    private final Tokenizer tokenizer;
    /** Why there is no tokenizer (an HF folder of weights only), or null. */
    private final String missing;

    private TokenizerCodec(Tokenizer tokenizer, String missing) {
        this.tokenizer = tokenizer;
        this.missing = missing;
    }

    /**
     * The codec of the model opened from {@code path}: its tokenizer.json, else the vocabulary in {@code metadata}.
     * An HF folder with neither still opens (token ids can be scored); using its text side fails, saying why.
     */
    static TokenizerCodec of(Metadata metadata, Path path) {
        if (path != null && Files.isDirectory(path) && !HfTokenizer.isPresent(path)
                && metadata.string("tokenizer.ggml.model").isEmpty())
            return new TokenizerCodec(null, "the model folder " + path + " has no tokenizer.json, so text cannot be "
                    + "tokenized (token ids still work, e.g. score); copy the model's tokenizer.json and "
                    + "tokenizer_config.json into the folder");
        return new TokenizerCodec(Tokenizer.forModel(metadata, path), null);
    }

    /** Frees the tokenizer's native resources, if any. */
    @Override
    public void close() {
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing the tokenizer failed", e);
            }
        }
    }

    Tokenizer tokenizer() {
        if (tokenizer == null) throw new AirCelaException(missing);
        return tokenizer;
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        // special tokens in the prompt text (e.g. chat template markers) are parsed, as llama.cpp's CLI does
        return tokenizer().encode(text, addSpecial, true);
    }

    @Override
    public Stream newStream() {
        TokenDecoder decoder = new TokenDecoder(tokenizer());
        return new Stream() {
            @Override
            public String accept(int id) {
                return decoder.accept(id);
            }

            @Override
            public String flush() {
                return decoder.flush();
            }
        };
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return tokenizer().isEndOfGeneration(id);
    }
}
