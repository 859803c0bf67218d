package io.aircela;

/**
 * Root of every error AirCELA reports. Unchecked; every message says what was expected,
 * what was found, and what the user can do.
 */
public class AirCelaException extends RuntimeException {
    public AirCelaException(String message) {
        super(message);
    }

    public AirCelaException(String message, Throwable cause) {
        super(message, cause);
    }
}
