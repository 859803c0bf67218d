package io.aircela.formats.safetensors;

import io.aircela.tck.WeightSourceContractTest;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/** The weight-source contract on a tiny F32 Llama folder with one model.safetensors. */
class HfSingleFileContractTest extends WeightSourceContractTest {
    @TempDir
    static Path tmp;

    @Override
    protected WeightSource openSample() {
        Path dir = tmp.resolve("m");
        if (!Files.isDirectory(dir)) HfModelBuilder.tinyLlama().write(dir);
        return HfWeightSource.open(dir);
    }
}
