package io.aircela;

/** A sequence would exceed the context length the KV cache was sized for. */
public class ContextOverflowException extends AirCelaException {
    public ContextOverflowException(int needed, int contextLength) {
        super("context length exceeded: " + needed + " positions needed, the KV cache holds " + contextLength
                + "; pass a larger context (-c) or a shorter prompt");
    }
}
