package io.aircela.formats.gguf;

import io.aircela.weights.WeightSource;
import io.aircela.weights.WeightSourceProvider;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens GGUF files. Recognizes them by the magic; a file named {@code *.gguf} without it still scores 1. */
public final class GgufWeightSourceProvider implements WeightSourceProvider {
    @Override
    public String name() {
        return "gguf";
    }

    @Override
    public int probe(Path path) {
        if (GgufWeightSource.hasMagic(path)) return 100;
        // a damaged .gguf file is still ours: let the reader say what is wrong with it
        return Files.isRegularFile(path) && path.getFileName().toString().toLowerCase().endsWith(".gguf") ? 1 : 0;
    }

    @Override
    public WeightSource open(Path path) {
        return GgufWeightSource.open(path);
    }
}
