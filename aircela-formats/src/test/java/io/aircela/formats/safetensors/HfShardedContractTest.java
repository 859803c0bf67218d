package io.aircela.formats.safetensors;

import io.aircela.tck.WeightSourceContractTest;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/** The weight-source contract on a tiny BF16 Llama folder in 3 shards with an index, tied embeddings. */
class HfShardedContractTest extends WeightSourceContractTest {
    @TempDir
    static Path tmp;

    @Override
    protected WeightSource openSample() {
        Path dir = tmp.resolve("m");
        if (!Files.isDirectory(dir)) {
            HfModelBuilder b = HfModelBuilder.tinyLlama().dtype("BF16").shards(3);
            b.config.put("tie_word_embeddings", true);
            b.write(dir);
        }
        return HfWeightSource.open(dir);
    }
}
