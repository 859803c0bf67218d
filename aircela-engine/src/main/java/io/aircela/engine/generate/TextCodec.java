package io.aircela.engine.generate;

/**
 * The text side of generation, as the generation loop needs it: prompt text to ids, ids to
 * streamed text, and which ids end a turn. The engine adapts its tokenizer to this; tests may use
 * a simple one. Implementations are stateless; {@link #newStream()} carries a stream's state.
 */
public interface TextCodec {

    /** Token ids of {@code text}; with the model's BOS first when {@code addSpecial} and the model adds one. */
    int[] encode(String text, boolean addSpecial);

    /** A fresh decoder for one output stream. */
    Stream newStream();

    /** Whether {@code id} ends generation (EOS, end-of-turn ...). */
    boolean isEndOfGeneration(int id);

    /** Turns token ids into text without splitting UTF-8 sequences. Not thread-safe. */
    interface Stream {
        /** Text completed by {@code id} (may be empty). */
        String accept(int id);

        /** Whatever is still buffered (incomplete sequences become U+FFFD). */
        String flush();
    }
}
