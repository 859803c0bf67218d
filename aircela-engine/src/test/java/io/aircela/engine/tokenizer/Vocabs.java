package io.aircela.engine.tokenizer;

import io.aircela.formats.gguf.GgufWeightSource;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.Metadata;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Shared-data tokenizers for the tests, loaded once per JVM (the 128k and 150k vocabularies take a moment). */
final class Vocabs {
    private static final Map<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    private Vocabs() {
    }

    /** The tokenizer of {@code models/<relative>}; skips the test when the shared data is absent. */
    static Tokenizer load(String relative) {
        Path path = SharedTestData.require("models/" + relative);
        return CACHE.computeIfAbsent(relative, r -> Tokenizer.fromMetadata(metadata(path), path));
    }

    static Metadata metadata(Path path) {
        try (GgufWeightSource src = GgufWeightSource.open(path)) {
            return src.metadata();
        }
    }

    /** Text of a token sequence by plain concatenation, through a TokenDecoder. */
    static String decode(Tokenizer t, int[] ids) {
        TokenDecoder d = new TokenDecoder(t);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.accept(id));
        return sb.append(d.flush()).toString();
    }
}
