package io.aircela.engine.streaming;

import io.aircela.ConfigurationException;

/** The memory budget cannot hold even the smallest streaming plan; {@link #minimumBytes()} is that plan's need. */
public class BudgetTooSmallException extends ConfigurationException {
    private final long minimumBytes;

    public BudgetTooSmallException(String message, long minimumBytes) {
        super(message);
        this.minimumBytes = minimumBytes;
    }

    /** The smallest budget that works at the requested prefetch depth, bytes. */
    public long minimumBytes() {
        return minimumBytes;
    }
}
