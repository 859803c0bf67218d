package io.aircela.engine;

import io.aircela.engine.generate.TextCodec;
import io.aircela.engine.tokenizer.TokenDecoder;
import io.aircela.engine.tokenizer.Tokenizer;
import io.aircela.weights.Metadata;

import java.nio.file.Path;

/**
 * The model's {@link Tokenizer} as the generation loop's {@link TextCodec}. Thread-safe as the tokenizer is.
 * Owns the tokenizer when it holds native resources (an {@link io.aircela.engine.tokenizer.HfTokenizer}).
 */
final class TokenizerCodec implements TextCodec, AutoCloseable {
    private final Tokenizer tokenizer;

    private TokenizerCodec(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The codec of the model opened from {@code path}: its tokenizer.json, else the vocabulary in {@code metadata}. */
    static TokenizerCodec of(Metadata metadata, Path path) {
        return new TokenizerCodec(Tokenizer.forModel(metadata, path));
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
        return tokenizer;
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        // special tokens in the prompt text (e.g. chat template markers) are parsed, as llama.cpp's CLI does
        return tokenizer.encode(text, addSpecial, true);
    }

    @Override
    public Stream newStream() {
        TokenDecoder decoder = new TokenDecoder(tokenizer);
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
        return tokenizer.isEndOfGeneration(id);
    }
}
