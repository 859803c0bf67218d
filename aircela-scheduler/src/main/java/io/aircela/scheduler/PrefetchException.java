package io.aircela.scheduler;

/**
 * A stage could not be delivered: its load failed (the cause is the loader's exception), an
 * earlier load failed and the pipeline is now failed, or the consumer was interrupted while
 * waiting. Unchecked. (This module requires nothing, so this does not extend
 * {@code io.aircela.AirCelaException}; the engine wraps it where it reports to users.)
 */
public class PrefetchException extends RuntimeException {
    private final int stage;

    public PrefetchException(int stage, String message, Throwable cause) {
        super(message, cause);
        this.stage = stage;
    }

    /** The stage the consumer was acquiring when this was thrown. */
    public int stage() {
        return stage;
    }
}
