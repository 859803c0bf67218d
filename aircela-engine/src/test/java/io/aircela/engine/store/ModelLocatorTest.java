package io.aircela.engine.store;

import io.aircela.AirCelaException;
import io.aircela.ConfigurationException;
import io.aircela.ModelFormatException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real Ollama store and HF hub cache layouts in a temporary folder, resolved and listed. */
class ModelLocatorTest {
    @TempDir
    Path tmp;
    Path ollama, hub;
    ModelLocator locator;

    @BeforeEach
    void stores() throws IOException {
        ollama = tmp.resolve("ollama");
        hub = tmp.resolve("hub");
        locator = new ModelLocator(new ModelStores(ollama, hub));
    }

    /** Writes an Ollama model: blob, config blob, manifest; returns the model blob. */
    static Path ollamaModel(Path root, String host, String ns, String model, String tag, byte[] gguf, String fileType)
            throws IOException {
        Path blobs = Files.createDirectories(root.resolve("blobs"));
        String modelDigest = sha(gguf), config = "{\"model_format\":\"gguf\",\"file_type\":\"" + fileType + "\"}";
        String configDigest = sha(config.getBytes(StandardCharsets.UTF_8));
        Path blob = Files.write(blobs.resolve("sha256-" + modelDigest), gguf);
        Files.writeString(blobs.resolve("sha256-" + configDigest), config);
        Path manifest = root.resolve("manifests").resolve(host).resolve(ns).resolve(model).resolve(tag);
        Files.createDirectories(manifest.getParent());
        Files.writeString(manifest, """
                {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
                 "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:%s","size":%d},
                 "layers":[{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:%s","size":1},
                           {"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":%d}]}
                """.formatted(configDigest, config.length(), configDigest, modelDigest, gguf.length));
        return blob;
    }

    /** Writes an HF cache entry: blobs, snapshot symlinks, refs/main; returns the snapshot folder. */
    static Path hfModel(Path hub, String org, String name, String ref, String commit) throws IOException {
        Path repo = hub.resolve("models--" + org + "--" + name);
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        byte[] config = "{\"architectures\":[\"LlamaForCausalLM\"],\"torch_dtype\":\"bfloat16\"}".getBytes(StandardCharsets.UTF_8);
        byte[] weights = new byte[1000];
        Files.write(blobs.resolve(sha(config)), config);
        Files.write(blobs.resolve(sha(weights)), weights);
        Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("../../blobs/" + sha(config)));
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/" + sha(weights)));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve(ref), commit);
        return snapshot;
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void ollamaNamesResolveToTheirBlobs() throws IOException {
        Path small = ollamaModel(ollama, "registry.ollama.ai", "library", "llama3.2", "1b", new byte[] {1}, "Q8_0");
        Path latest = ollamaModel(ollama, "registry.ollama.ai", "library", "llama3.2", "latest", new byte[] {2}, "Q4_K_M");
        Path hfco = ollamaModel(ollama, "hf.co", "org", "repo", "Q4_K_M", new byte[] {3}, "Q4_K_M");
        Path user = ollamaModel(ollama, "registry.ollama.ai", "someone", "tiny", "latest", new byte[] {4}, "F16");
        assertEquals(small, locator.resolve("llama3.2:1b"));
        assertEquals(latest, locator.resolve("llama3.2"));
        assertEquals(latest, locator.resolve("library/llama3.2:latest"));
        assertEquals(latest, locator.resolve("registry.ollama.ai/library/llama3.2:latest"));
        assertEquals(hfco, locator.resolve("hf.co/org/repo:Q4_K_M"));
        assertEquals(user, locator.resolve("someone/tiny"));
    }

    @Test
    void hfRepoIdsResolveToTheirSnapshots() throws IOException {
        String main = "a".repeat(40), dev = "b".repeat(40);
        Path snap = hfModel(hub, "org", "name", "main", main);
        Path devSnap = hfModel(hub, "org", "name", "dev", dev);
        assertEquals(snap, locator.resolve("org/name"));
        assertEquals(snap, locator.resolve("org/name@main"));
        assertEquals(devSnap, locator.resolve("org/name@dev"));
        assertEquals(devSnap, locator.resolve("org/name@" + dev), "a commit hash names its snapshot");
        assertTrue(Files.isRegularFile(locator.resolve("org/name").resolve("model.safetensors")));
    }

    @Test
    void ollamaComesBeforeTheHfCacheAndPathsBeforeBoth() throws IOException {
        Path blob = ollamaModel(ollama, "registry.ollama.ai", "org", "name", "latest", new byte[] {5}, "Q4_0");
        hfModel(hub, "org", "name", "main", "c".repeat(40));
        assertEquals(blob, locator.resolve("org/name"));
        Path file = Files.write(tmp.resolve("m.gguf"), new byte[] {6});
        assertEquals(file, locator.resolve(file.toString()));
        assertEquals(hub.resolve("models--org--name/snapshots/" + "c".repeat(40)), locator.resolve("org/name@main"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"library/..:latest", "library/../../x", "a/b/c/d", "llama3.2:..", "llama3.2:a/../b",
            "org/..@main", "org/name@../../x", "-rf", "name with space", "tab\tname", "héllo", "org//name",
            "hf.co/org/..:Q4", "org/name@", ":latest"})
    void invalidNamesAreRefusedBeforeTouchingTheFileSystem(String name) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> locator.resolve(name));
        assertTrue(e.getMessage().contains("not a model file, folder or valid model name"), e.getMessage());
        assertTrue(!Files.exists(ollama) && !Files.exists(hub), "nothing was created");
    }

    @Test
    void absoluteOrRelativePathsThatDoNotExistAreReportedAsMissingFiles() {
        for (String p : List.of(tmp.resolve("nope.gguf").toString(), "./nope", "~/nope")) {
            AirCelaException e = assertThrows(AirCelaException.class, () -> locator.resolve(p));
            assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        }
    }

    @Test
    void unknownNamesSayWhereTheyWereLookedFor() {
        AirCelaException e = assertThrows(AirCelaException.class, () -> locator.resolve("org/absent"));
        assertTrue(e.getMessage().contains(ollama.resolve("manifests/registry.ollama.ai/org/absent/latest").toString()),
                e.getMessage());
        assertTrue(e.getMessage().contains(hub.resolve("models--org--absent").toString()), e.getMessage());
    }

    @Test
    void brokenStoreEntriesFailWithTypedErrors() throws IOException {
        Path manifest = ollama.resolve("manifests/registry.ollama.ai/library/bad/latest");
        Files.createDirectories(manifest.getParent());
        Files.writeString(manifest, "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
                + "\"digest\":\"sha256:../../../etc/passwd\"}]}");
        assertThrows(ModelFormatException.class, () -> locator.resolve("bad"));
        Files.writeString(manifest, "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
                + "\"digest\":\"sha256:" + "0".repeat(64) + "\"}]}");
        AirCelaException missing = assertThrows(AirCelaException.class, () -> locator.resolve("bad"));
        assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
        Files.writeString(manifest, "not json");
        assertThrows(ModelFormatException.class, () -> locator.resolve("bad"));
        Files.writeString(manifest, "{\"layers\":[]}");
        assertThrows(ModelFormatException.class, () -> locator.resolve("bad"));

        Path repo = Files.createDirectories(hub.resolve("models--org--bad/refs"));
        Files.writeString(repo.resolve("main"), "../../escape");
        assertThrows(ModelFormatException.class, () -> locator.resolve("org/bad"));
        Files.writeString(repo.resolve("main"), "d".repeat(40));
        AirCelaException noSnapshot = assertThrows(AirCelaException.class, () -> locator.resolve("org/bad"));
        assertTrue(noSnapshot.getMessage().contains("missing"), noSnapshot.getMessage());
    }

    @Test
    void listShowsBothStores() throws IOException {
        ollamaModel(ollama, "registry.ollama.ai", "library", "llama3.2", "1b", new byte[123], "Q8_0");
        ollamaModel(ollama, "hf.co", "org", "repo", "Q4_K_M", new byte[45], "Q4_K_M");
        hfModel(hub, "org", "name", "main", "e".repeat(40));
        List<StoredModel> all = locator.list();
        assertEquals(3, all.size(), all.toString());
        StoredModel hfco = all.get(0), llama = all.get(1), hf = all.get(2);
        assertEquals(new StoredModel("hf.co/org/repo:Q4_K_M", "ollama", "gguf", 45, "Q4_K_M",
                locator.resolve("hf.co/org/repo:Q4_K_M")), hfco);
        assertEquals(new StoredModel("llama3.2:1b", "ollama", "gguf", 123, "Q8_0", locator.resolve("llama3.2:1b")), llama);
        assertEquals(new StoredModel("org/name", "huggingface", "safetensors", 1000, "bfloat16",
                locator.resolve("org/name")), hf);
        for (StoredModel m : all) assertEquals(m.path(), locator.resolve(m.name()), "a listed name opens");
    }

    @Test
    void listOfMissingStoresIsEmpty() {
        assertEquals(List.of(), locator.list());
    }

    @Test
    void rootsComeFromPropertiesThenEnvironmentThenHome() {
        ModelStores d = ModelStores.from(Map.of(), "/home/u", null, null);
        assertEquals(Path.of("/home/u/.ollama/models"), d.ollamaRoot());
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), d.hfHubRoot());
        ModelStores hfHome = ModelStores.from(Map.of("HF_HOME", "/hf", "OLLAMA_MODELS", "/o"), "/home/u", null, null);
        assertEquals(Path.of("/o"), hfHome.ollamaRoot());
        assertEquals(Path.of("/hf/hub"), hfHome.hfHubRoot());
        ModelStores cache = ModelStores.from(Map.of("HF_HOME", "/hf", "HF_HUB_CACHE", "/cache"), "/home/u", null, null);
        assertEquals(Path.of("/cache"), cache.hfHubRoot());
        ModelStores props = ModelStores.from(Map.of("HF_HUB_CACHE", "/cache", "OLLAMA_MODELS", "/o"), "/home/u", "/p1", "/p2");
        assertEquals(new ModelStores(Path.of("/p1"), Path.of("/p2")), props);
    }
}
