package io.aircela;

/** Invalid options given by the user or the embedding application (budget, context length, threads ...). */
public class ConfigurationException extends AirCelaException {
    public ConfigurationException(String message) {
        super(message);
    }
}
