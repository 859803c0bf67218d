package io.aircela;

/** A well-formed model that AirCELA cannot run (unknown architecture, unsupported tensor type, ...). */
public class UnsupportedModelException extends AirCelaException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
