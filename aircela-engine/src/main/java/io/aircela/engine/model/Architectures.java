package io.aircela.engine.model;

import io.aircela.UnsupportedModelException;

import java.util.ArrayList;
import java.util.List;

/** The architectures this build runs, looked up by a model file's {@code general.architecture}. */
public final class Architectures {
    private static final List<Architecture> ALL = List.of(new LlamaArchitecture(), new Qwen2Architecture());

    private Architectures() {
    }

    /** Every supported architecture. */
    public static List<Architecture> all() {
        return ALL;
    }

    /** Every file name that runs, e.g. {@code [llama, mistral, qwen2]}. */
    public static List<String> supportedNames() {
        List<String> names = new ArrayList<>();
        for (Architecture a : ALL) names.addAll(a.fileNames());
        return names;
    }

    /**
     * The architecture for a file's {@code general.architecture} value.
     *
     * @throws UnsupportedModelException naming the supported ones
     */
    public static Architecture forName(String fileName) {
        for (Architecture a : ALL) if (a.fileNames().contains(fileName)) return a;
        throw new UnsupportedModelException("architecture '" + fileName + "' is not supported; supported: "
                + String.join(", ", supportedNames()) + ". Use a model of a supported architecture.");
    }
}
