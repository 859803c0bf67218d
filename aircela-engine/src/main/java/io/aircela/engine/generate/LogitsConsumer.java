package io.aircela.engine.generate;

/** Receives the logits computed after each token when scoring (teacher forcing). */
@FunctionalInterface
public interface LogitsConsumer {
    /**
     * @param index  index of the token in the scored array whose logits these are
     * @param logits (vocab) raw logits predicting the next token; reused for the next call, copy to keep
     */
    void accept(int index, float[] logits);
}
