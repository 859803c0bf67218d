package io.aircela.formats.safetensors;

import io.aircela.provider.Providers;
import io.aircela.weights.WeightSource;
import io.aircela.weights.WeightSourceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class HfFolderWeightSourceProviderTest {
    @TempDir
    Path tmp;

    private final WeightSourceProvider provider = new HfFolderWeightSourceProvider();

    @Test
    void probeScores() throws IOException {
        assertEquals("safetensors", provider.name());
        Path single = HfModelBuilder.tinyLlama().write(tmp.resolve("single"));
        Path sharded = HfModelBuilder.tinyLlama().shards(3).write(tmp.resolve("sharded"));
        assertEquals(100, provider.probe(single));
        assertEquals(100, provider.probe(sharded));
        assertEquals(100, provider.probe(single.resolve("model.safetensors")));
        assertEquals(100, provider.probe(sharded.resolve("model-00002-of-00003.safetensors")));
        Path configOnly = Files.createDirectories(tmp.resolve("configOnly"));
        Files.copy(single.resolve("config.json"), configOnly.resolve("config.json"));
        assertEquals(1, provider.probe(configOnly), "opening it explains what is missing");
        assertEquals(0, provider.probe(Files.createDirectories(tmp.resolve("empty"))));
        assertEquals(0, provider.probe(tmp.resolve("absent")));
        assertEquals(1, provider.probe(Files.writeString(tmp.resolve("junk.safetensors"), "not a header")));
        assertEquals(0, provider.probe(Files.writeString(tmp.resolve("junk.bin"), "not a header")));
        byte[] gguf = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(0, provider.probe(Files.write(tmp.resolve("m.gguf"), gguf)));
    }

    @Test
    void providersChooseItForFoldersAndFiles() {
        Path single = HfModelBuilder.tinyLlama().write(tmp.resolve("p"));
        try (WeightSource s = Providers.open(single)) {
            assertInstanceOf(HfWeightSource.class, s);
        }
        try (WeightSource s = Providers.open(single.resolve("model.safetensors"))) {
            assertInstanceOf(HfWeightSource.class, s);
        }
    }
}
