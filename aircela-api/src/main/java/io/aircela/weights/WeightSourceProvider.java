package io.aircela.weights;

import java.nio.file.Path;

/**
 * Opens one model format. Found with {@link java.util.ServiceLoader}; construction does no work.
 */
public interface WeightSourceProvider {

    /** Format name, e.g. {@code "gguf"}. */
    String name();

    /**
     * How well this provider recognizes {@code path} without opening it fully (a few header bytes):
     * 0 = not this format; higher = more certain. Never throws for unreadable input.
     */
    int probe(Path path);

    /** Opens and validates the model. Malformed input throws {@link io.aircela.ModelFormatException}. */
    WeightSource open(Path path);
}
