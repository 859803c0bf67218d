package io.aircela;

/** A compute backend cannot be created or failed while running an operation. */
public class BackendException extends AirCelaException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
