package io.aircela.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.tck.SharedTestData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

/** Reading the shared golden files and the CLI's JSON output in tests. */
final class Golden {
    static final ObjectMapper JSON = new ObjectMapper();

    private Golden() {
    }

    /** {@code golden/<name>}, parsed; skips the test when the shared data is absent. */
    static JsonNode load(String name) {
        return parse(SharedTestData.require("golden/" + name));
    }

    static JsonNode parse(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    static int[] concat(int[] a, int[] b) {
        return IntStream.concat(IntStream.of(a), IntStream.of(b)).toArray();
    }

    static String csv(int[] ids) {
        return String.join(",", IntStream.of(ids).mapToObj(Integer::toString).toList());
    }
}
