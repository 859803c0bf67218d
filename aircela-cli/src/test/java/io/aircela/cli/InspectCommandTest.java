package io.aircela.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectCommandTest {

    @Test
    void summarizesStories260k() throws IOException {
        Path model = SharedTestData.require("models/stories260k.gguf");
        CliRun run = CliRun.of("inspect", model.toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertEquals("GGUF v3", j.get("format").asText());
        assertEquals("llama", j.get("architecture").asText());
        assertEquals(64, j.at("/config/dim").asInt());
        assertEquals(5, j.at("/config/layers").asInt());
        assertEquals(4, j.at("/config/kv_heads").asInt());
        assertEquals(48, j.get("tensor_count").asInt());
        assertEquals(Files.size(model) - 14144, j.get("total_bytes").asLong(), "tensor bytes = file minus header");
        assertEquals(5, j.get("layers").size());
        assertEquals("llama", j.at("/tokenizer/model").asText());
        assertEquals(512, j.at("/tokenizer/vocab_size").asInt());
        assertFalse(j.at("/tokenizer/chat_template").asBoolean());
    }

    @Test
    void textSummaryOfEveryFileInSharedModels() throws IOException {
        Path root = SharedTestData.require("models");
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        assertTrue(files.size() >= 20, "expected the shared models, found " + files);
        for (Path f : files) {
            CliRun run = CliRun.of("inspect", f.toString());
            assertEquals(0, run.exitCode(), f + ": " + run.err());
            assertTrue(run.out().contains("format         GGUF v"), f + ": " + run.out());
            assertTrue(run.out().contains("tokenizer"), run.out());
            if (f.getParent().getFileName().toString().equals("vocab"))
                assertTrue(run.out().contains("vocabulary-only"), run.out());
            else
                assertTrue(run.out().contains("layers"), run.out());
        }
    }

    @Test
    void truncatedFilePrintsOneLineErrorAndFails(@TempDir Path dir) throws IOException {
        byte[] all = Files.readAllBytes(SharedTestData.require("models/stories260k.gguf"));
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        CliRun run = CliRun.of("inspect", cut.toString());
        assertEquals(1, run.exitCode());
        assertEquals("", run.out());
        String[] lines = run.err().strip().split("\n");
        assertEquals(1, lines.length, run.err());
        assertTrue(lines[0].startsWith("aircela: error: " + cut), lines[0]);
        assertTrue(lines[0].contains("truncated"), lines[0]);
        assertTrue(lines[0].contains("at byte"), lines[0]);
    }

    @Test
    void verbosePrintsTheStackTrace(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[]{'G', 'G', 'U', 'F', 9, 0, 0, 0});
        CliRun run = CliRun.of("inspect", bad.toString(), "--verbose");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("unsupported GGUF version 9"), run.err());
        assertTrue(run.err().contains("\tat io.aircela"), run.err());
    }
}
