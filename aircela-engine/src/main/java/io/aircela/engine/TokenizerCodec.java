package io.aircela.engine;

import io.aircela.UnsupportedModelException;
import io.aircela.engine.generate.TextCodec;
import io.aircela.weights.Metadata;

/** Placeholder until the tokenizer package is merged: prompts as text are not available yet. */
final class TokenizerCodec implements TextCodec {
    static TokenizerCodec of(Metadata metadata) {
        return new TokenizerCodec();
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        throw new UnsupportedModelException("text prompts need the tokenizer, which this build lacks");
    }

    @Override
    public Stream newStream() {
        return new Stream() {
            public String accept(int id) {
                return "";
            }

            public String flush() {
                return "";
            }
        };
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return false;
    }
}
