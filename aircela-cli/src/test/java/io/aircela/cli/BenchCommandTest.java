package io.aircela.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shape of {@code aircela bench}'s output (never its speed: no performance claims from unit tests). */
class BenchCommandTest {

    @Test
    void tablePrintsOneRowPerTestInLlamaBenchColumns() {
        Path model = SharedTestData.require("models/stories260k.gguf");
        CliRun run = CliRun.of("bench", "-m", model.toString(), "-p", "16", "-n", "8", "-r", "2", "-t", "1");
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(4, lines.length, run.out());
        assertTrue(lines[0].matches("\\| model +\\| +size \\| +params \\| backend \\| threads \\| +test \\| +t/s \\|"), lines[0]);
        assertTrue(lines[2].matches("\\| llama \\S+ F32 +\\| +[0-9.]+ MiB \\| +[0-9.]+ M \\| cpu +\\| +1 \\| +pp16 \\| +[0-9.]+ ± [0-9.]+ \\|"),
                lines[2]);
        assertTrue(lines[3].contains("| tg8 |") || lines[3].matches(".*\\| +tg8 \\|.*"), lines[3]);
    }

    @Test
    void jsonHasOneObjectPerTest() throws IOException {
        Path model = SharedTestData.require("models/stories260k.gguf");
        CliRun run = CliRun.of("bench", "-m", model.toString(), "-p", "16", "-n", "8", "-r", "2", "-t", "1", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertEquals(2, j.size());
        JsonNode pp = j.get(0), tg = j.get(1);
        assertEquals("pp16", pp.get("test").asText());
        assertEquals(16, pp.get("n_prompt").asInt());
        assertEquals(0, pp.get("n_gen").asInt());
        assertEquals("tg8", tg.get("test").asText());
        assertEquals(0, tg.get("n_prompt").asInt());
        assertEquals(8, tg.get("n_gen").asInt());
        for (JsonNode r : j) {
            assertEquals("cpu", r.get("backend").asText());
            assertEquals(1, r.get("threads").asInt());
            assertTrue(r.get("model").asText().startsWith("llama "), r.toString());
            assertEquals(2, r.get("samples_ts").size());
            double mean = (r.get("samples_ts").get(0).asDouble() + r.get("samples_ts").get(1).asDouble()) / 2;
            assertEquals(mean, r.get("avg_ts").asDouble(), 1e-9 * mean);
            assertTrue(r.get("avg_ts").asDouble() > 0 && r.get("stddev_ts").asDouble() >= 0, r.toString());
        }
    }

    @Test
    void rejectsNothingToMeasure() {
        Path model = SharedTestData.require("models/stories260k.gguf");
        CliRun run = CliRun.of("bench", "-m", model.toString(), "-p", "0", "-n", "0");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("not both 0"), run.err());
    }
}
