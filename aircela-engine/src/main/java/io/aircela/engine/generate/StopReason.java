package io.aircela.engine.generate;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced an end-of-generation token (not yielded). */
    EOS,
    /** The requested number of tokens was produced. */
    LENGTH,
    /** A stop string appeared; the text before it was yielded, the stop string was not. */
    STOP,
    /** The KV cache is full (the context length was reached). */
    CONTEXT_FULL,
    /** The caller closed the generation before it ended. */
    CANCELLED
}
