package io.aircela.engine.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.tck.SharedTestData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One llama.cpp golden file (see shared/README.md): prompt and greedy continuation ids, and the
 * top-10 raw logits after every token.
 */
record GoldenCase(String file, Path model, String prompt, int[] promptIds, int[] generatedIds, String generatedText,
                  int[][] topIds, float[][] topLogits) {

    /** Every token: prompt then generated. */
    int[] allIds() {
        int[] all = new int[promptIds.length + generatedIds.length];
        System.arraycopy(promptIds, 0, all, 0, promptIds.length);
        System.arraycopy(generatedIds, 0, all, promptIds.length, generatedIds.length);
        return all;
    }

    /** Golden logit files in shared/golden (tokenizer files excluded). */
    static Stream<String> names() throws IOException {
        Path dir = SharedTestData.root().map(r -> r.resolve("golden")).orElse(null);
        if (dir == null || !Files.isDirectory(dir)) return Stream.of("(shared golden data absent)");
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json") && !n.startsWith("tokenizer-")).sorted().toList().stream();
        }
    }

    static GoldenCase load(String name) throws IOException {
        Path json = SharedTestData.require("golden/" + name);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        String modelName = root.get("model").asText();
        Path model = SharedTestData.root().orElseThrow().resolve("models").resolve(modelName);
        if (!Files.exists(model)) model = SharedTestData.require("models/synth/" + modelName);
        JsonNode positions = root.get("positions");
        int[][] ids = new int[positions.size()][];
        float[][] logits = new float[positions.size()][];
        for (int i = 0; i < positions.size(); i++) {
            JsonNode top = positions.get(i);
            ids[i] = new int[top.size()];
            logits[i] = new float[top.size()];
            for (int j = 0; j < top.size(); j++) {
                ids[i][j] = top.get(j).get(0).asInt();
                logits[i][j] = (float) top.get(j).get(1).asDouble();
            }
        }
        return new GoldenCase(name, model, root.path("prompt").asText(), ints(root.get("prompt_token_ids")),
                ints(root.get("generated_token_ids")), root.path("generated_text").asText(), ids, logits);
    }

    private static int[] ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asInt()));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
