package io.aircela.formats.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Folder layouts, shard indexes, and that nothing outside the model folder is ever opened. */
class HfFolderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EMBED = "model.embed_tokens.weight";

    @TempDir
    Path tmp;

    private Path sharded(String name) {
        return HfModelBuilder.tinyLlama().shards(2).write(tmp.resolve(name));
    }

    @SuppressWarnings("unchecked")
    private static void editIndex(Path dir, java.util.function.Consumer<Map<String, Object>> weightMap) throws IOException {
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, Object> json = JSON.readValue(index.toFile(), LinkedHashMap.class);
        weightMap.accept((Map<String, Object>) json.get("weight_map"));
        JSON.writeValue(index.toFile(), json);
    }

    private static ModelFormatException refused(Path dir, String field, String problem) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfWeightSource.open(dir).close());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        return e;
    }

    @Test
    void indexNamingAParentPathIsRefused() throws IOException {
        Path dir = sharded("parent");
        Files.copy(dir.resolve("model-00001-of-00002.safetensors"), tmp.resolve("outside.safetensors"));
        editIndex(dir, m -> m.put(EMBED, "../outside.safetensors"));
        ModelFormatException e = refused(dir, "weight_map." + EMBED, "leaves the model folder");
        assertTrue(e.file().endsWith("model.safetensors.index.json"));
        editIndex(dir, m -> m.put(EMBED, "sub/../../outside.safetensors"));
        refused(dir, "weight_map." + EMBED, "leaves the model folder");
    }

    @Test
    void indexNamingAnAbsolutePathIsRefused() throws IOException {
        Path dir = sharded("absolute");
        Path outside = Files.copy(dir.resolve("model-00001-of-00002.safetensors"), tmp.resolve("abs.safetensors"));
        editIndex(dir, m -> m.put(EMBED, outside.toAbsolutePath().toString()));
        refused(dir, "weight_map." + EMBED, "not a relative path");
        editIndex(dir, m -> m.put(EMBED, ""));
        refused(dir, "weight_map." + EMBED, "not a relative path");
    }

    @Test
    void symlinksLeavingTheFolderAreRefused() throws IOException {
        Path dir = sharded("links");
        Path shard = dir.resolve("model-00001-of-00002.safetensors");
        Path outside = Files.move(shard, tmp.resolve("moved.safetensors"));
        Files.createSymbolicLink(shard, outside);
        refused(dir, "weight_map." + EMBED, "outside the model folder");

        Path single = HfModelBuilder.tinyLlama().write(tmp.resolve("cfglink"));
        Path cfg = Files.move(single.resolve("config.json"), tmp.resolve("config-outside.json"));
        Files.createSymbolicLink(single.resolve("config.json"), cfg);
        refused(single, "config.json", "outside the model folder");
    }

    @Test
    void symlinksInsideTheFolderAreFine() throws IOException {
        Path dir = sharded("inside");
        Files.createDirectories(dir.resolve("store"));
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        Files.move(shard, dir.resolve("store/two.safetensors"));
        Files.createSymbolicLink(shard, Path.of("store/two.safetensors"));
        try (HfWeightSource s = HfWeightSource.open(dir)) {
            assertEquals(2, s.files().size());
        }
    }

    @Test
    void huggingFaceCacheSnapshotsLinkIntoBlobs() throws IOException {
        Path built = sharded("built");
        Path repo = tmp.resolve("hub/models--org--tiny");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots/0123abc"));
        int i = 0;
        try (var files = Files.list(built)) {
            for (Path f : files.sorted().toList()) {
                Path blob = Files.copy(f, blobs.resolve("blob" + i++));
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()), Path.of("../../blobs").resolve(blob.getFileName()));
            }
        }
        try (HfWeightSource s = HfWeightSource.open(snapshot)) {
            assertEquals(2, s.files().size());
            assertTrue(s.config().isPresent());
        }
        // the boundary is the repository folder, not the whole cache
        Path other = Files.createDirectories(tmp.resolve("hub/models--org--other"));
        Path config = snapshot.resolve("config.json");
        Files.move(blobs.resolve(Files.readSymbolicLink(config).getFileName()), other.resolve("config.json"));
        Files.delete(config);
        Files.createSymbolicLink(config, Path.of("../../../models--org--other/config.json"));
        refused(snapshot, "config.json", "outside the model folder");
    }

    @Test
    void missingShardAndIndexThatDisagreesWithTheShards() throws IOException {
        Path dir = sharded("missing");
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        refused(dir, firstInShard2(dir), "does not exist");

        Path unlisted = sharded("unlisted");
        editIndex(unlisted, m -> m.remove(EMBED));
        refused(unlisted, EMBED, "not listed in");

        Path misplaced = sharded("misplaced");
        editIndex(misplaced, m -> m.put(EMBED, "model-00002-of-00002.safetensors"));
        refused(misplaced, EMBED, "the index places this tensor in");

        Path ghost = sharded("ghost");
        editIndex(ghost, m -> m.put("model.layers.0.ghost.weight", "model-00001-of-00002.safetensors"));
        refused(ghost, "weight_map.model.layers.0.ghost.weight", "does not hold");

        Path notMap = sharded("notmap");
        JSON.writeValue(notMap.resolve("model.safetensors.index.json").toFile(), Map.of("weight_map", "x"));
        refused(notMap, "weight_map", "non-empty object");
        JSON.writeValue(notMap.resolve("model.safetensors.index.json").toFile(), Map.of("weight_map", Map.of(EMBED, 3)));
        refused(notMap, "weight_map." + EMBED, "expected a shard file name");
    }

    private static String firstInShard2(Path dir) throws IOException {
        Map<?, ?> json = JSON.readValue(dir.resolve("model.safetensors.index.json").toFile(), Map.class);
        for (Map.Entry<?, ?> e : ((Map<?, ?>) json.get("weight_map")).entrySet())
            if (e.getValue().equals("model-00002-of-00002.safetensors")) return "weight_map." + e.getKey();
        throw new AssertionError();
    }

    @Test
    void foldersWithoutConfigOrWeights() throws IOException {
        Path dir = HfModelBuilder.tinyLlama().write(tmp.resolve("noconfig"));
        Files.delete(dir.resolve("config.json"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfWeightSource.open(dir));
        assertTrue(e.getMessage().contains("needs config.json"), e.getMessage());
        Path bare = HfModelBuilder.tinyLlama().write(tmp.resolve("noweights"));
        Files.delete(bare.resolve("model.safetensors"));
        e = assertThrows(ModelFormatException.class, () -> HfWeightSource.open(bare));
        assertTrue(e.getMessage().contains("no model.safetensors"), e.getMessage());
    }

    @Test
    void aLoneFileUsesTheConfigBesideItUnlessItIsOneShardOfMany() {
        Path single = HfModelBuilder.tinyLlama().write(tmp.resolve("single"));
        try (HfWeightSource s = HfWeightSource.open(single.resolve("model.safetensors"))) {
            assertTrue(s.config().isPresent());
            assertEquals("HF safetensors", s.format());
        }
        Path dir = sharded("shard");
        try (HfWeightSource s = HfWeightSource.open(dir.resolve("model-00001-of-00002.safetensors"))) {
            assertTrue(s.config().isEmpty(), "a shard alone is not the whole model");
            assertEquals("safetensors", s.format());
            assertTrue(s.tensor("token_embd.weight").isPresent(), "names are translated all the same");
        }
    }
}
