package io.aircela.formats.gguf;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GgufSmokeTest {
    @Test
    void opensStories() {
        try (var s = GgufWeightSource.open(io.aircela.tck.SharedTestData.require("models/stories260k.gguf"))) {
            assertEquals(48, s.tensors().size());
            System.out.println(s.config().orElseThrow());
            System.out.println(s.layers().get(0));
        }
    }
}
