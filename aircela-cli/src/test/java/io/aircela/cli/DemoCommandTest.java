package io.aircela.cli;

import io.aircela.provider.Providers;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code aircela demo} end to end on the hidden tiny size: writes the model once, then streams it at two depths. */
class DemoCommandTest {

    @Test
    void writesTheModelOnceThenComparesTwoDepths(@TempDir Path cache) throws IOException {
        CliRun first = CliRun.of("demo", "--size", "tiny", "-n", "4", "-t", "1", "--cache-dir", cache.toString());
        assertEquals(0, first.exitCode(), first.err());
        Path file = cache.resolve("demo-tiny-q4_0.gguf");
        assertTrue(Files.isRegularFile(file));
        assertTrue(first.err().contains("writing " + file), first.err());
        assertTrue(first.err().contains("100%"), first.err());
        assertTrue(first.out().contains("gibberish"), first.out());
        assertTrue(first.out().contains("depth 0:"), first.out());
        assertTrue(first.out().contains("tokens/s"), first.out());
        assertTrue(first.out().contains("both runs generated the same tokens"), first.out());
        try (WeightSource s = Providers.open(file)) {
            assertEquals(2, s.layers().size());
            assertEquals(DemoModel.VOCAB, s.config().orElseThrow().vocabSize());
            assertEquals("llama", s.metadata().string("general.architecture").orElseThrow());
        }
        long written = Files.getLastModifiedTime(file).toMillis();

        CliRun second = CliRun.of("demo", "--size", "tiny", "-n", "4", "-t", "1", "--cache-dir", cache.toString());
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(!second.err().contains("writing"), "the cached model is reused: " + second.err());
        assertEquals(written, Files.getLastModifiedTime(file).toMillis());
    }

    @Test
    void theSizesHaveTheirNamesakesShapes() {
        double gib = 1024.0 * 1024 * 1024;
        double oneB = DemoModel.of("1b").writer().fileBytes() / gib, sevenB = DemoModel.of("7b").writer().fileBytes() / gib;
        assertTrue(oneB > 0.45 && oneB < 0.55, "1b: " + oneB + " GiB"); // 0.97 B parameters at 4.5 bits
        assertTrue(sevenB > 3.2 && sevenB < 3.6, "7b: " + sevenB + " GiB"); // 6.5 B parameters at 4.5 bits
    }

    @Test
    void anUnknownSizeIsAUsageError(@TempDir Path cache) {
        CliRun r = CliRun.of("demo", "--size", "3b", "--cache-dir", cache.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("expected 1b or 7b"), r.err());
    }
}
