package io.aircela.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.provider.Providers;
import io.aircela.tck.GgufToHf;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The acceptance of HF folders and model stores through the CLI, in-process: {@code llama-2-tiny-random.gguf}
 * written as an HF folder (F16, 3 shards, with the Llama-2 tokenizer.json) runs greedily to the same tokens
 * as the GGUF; the same GGUF as an Ollama model {@code llama3.2:1b} and the HF folder as a hub-cache entry
 * {@code org/tiny} (real layouts in a temporary folder, found through the {@code aircela.ollama.models} and
 * {@code aircela.hf.hub} properties) run by name, and {@code list} shows both.
 */
class ModelStoresCliTest {
    @TempDir
    static Path tmp;
    static Path gguf, hfFolder;
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @BeforeAll
    static void build() throws Exception {
        gguf = SharedTestData.require("models/llama-2-tiny-random.gguf");
        hfFolder = tmp.resolve("llama2-tiny-hf");
        try (WeightSource g = Providers.open(gguf)) {
            GgufToHf.write(g, hfFolder, "F16", 3);
        }
        GgufToHf.copyTokenizer(SharedTestData.require("models/hf/llama2-tokenizer"), hfFolder);
        Path ollama = tmp.resolve("ollama"), hub = tmp.resolve("hub");
        ollamaModel(ollama, gguf);
        hubModel(hub, hfFolder);
        System.setProperty("aircela.ollama.models", ollama.toString());
        System.setProperty("aircela.hf.hub", hub.toString());
    }

    @AfterAll
    static void restore() {
        System.clearProperty("aircela.ollama.models");
        System.clearProperty("aircela.hf.hub");
    }

    @Test
    void hfFolderRunsToTheGgufsTokens() {
        int[] want = tokens(gguf.toString());
        assertEquals(16, want.length);
        assertArrayEquals(want, tokens(hfFolder.toString()));
        CliRun plain = CliRun.of("run", "-m", hfFolder.toString(), "-p", "Once upon a time", "--temp", "0", "-n", "16");
        assertEquals(0, plain.exitCode(), plain.err());
        assertEquals(CliRun.of("run", "-m", gguf.toString(), "-p", "Once upon a time", "--temp", "0", "-n", "16").out(),
                plain.out());
    }

    @Test
    void storeNamesRunTheSameModel() {
        int[] want = tokens(gguf.toString());
        assertArrayEquals(want, tokens("llama3.2:1b"));
        assertArrayEquals(want, tokens("library/llama3.2:1b"));
        assertArrayEquals(want, tokens("org/tiny"));
        assertArrayEquals(want, tokens("org/tiny@main"));
    }

    @Test
    void tokenizeUsesTokenizerJsonOfTheFolder() {
        CliRun run = CliRun.of("tokenize", "-m", "org/tiny", "--text", "Hello world", "--json");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("[1,15043,3186]", Golden.parse(run.out()).get("token_ids").toString());
    }

    @Test
    void listShowsBothStores() {
        CliRun run = CliRun.of("list");
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), run.out());
        assertTrue(lines.get(0).startsWith("NAME") && lines.get(0).contains("QUANT"), lines.get(0));
        assertTrue(lines.get(1).matches("llama3\\.2:1b\\s+ollama\\s+gguf\\s+1\\.7 MiB\\s+F16"), lines.get(1));
        assertTrue(lines.get(2).matches("org/tiny\\s+huggingface\\s+safetensors\\s+\\S+ \\S+\\s+float16"), lines.get(2));
        JsonNode j = Golden.parse(CliRun.of("list", "--json").out());
        assertEquals(2, j.get("models").size());
        assertEquals("llama3.2:1b", j.at("/models/0/name").asText());
        assertEquals(Files.exists(gguf) ? sizeOf(gguf) : -1, j.at("/models/0/bytes").asLong());
        assertEquals("org/tiny", j.at("/models/1/name").asText());
    }

    @Test
    void unknownAndInvalidNamesAreOneLineErrors() {
        CliRun missing = CliRun.of("run", "-m", "nosuch:7b", "-p", "x", "-n", "1");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("model not found") && missing.err().contains("nosuch"), missing.err());
        CliRun invalid = CliRun.of("run", "-m", "org/..@main", "-p", "x", "-n", "1");
        assertEquals(1, invalid.exitCode());
        assertTrue(invalid.err().contains("not a model file, folder or valid model name"), invalid.err());
    }

    private static int[] tokens(String model) {
        CliRun run = CliRun.of("run", "-m", model, "-p", "Once upon a time", "--temp", "0", "-n", "16", "--json");
        assertEquals(0, run.exitCode(), run.err());
        return Golden.ints(Golden.parse(run.out()).get("token_ids"));
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Ollama's layout: blobs/sha256-HEX for the model and its config, manifests/HOST/NS/MODEL/TAG. */
    private static void ollamaModel(Path root, Path model) throws Exception {
        byte[] bytes = Files.readAllBytes(model), config = "{\"model_format\":\"gguf\",\"file_type\":\"F16\"}".getBytes();
        Path blobs = Files.createDirectories(root.resolve("blobs"));
        Files.write(blobs.resolve("sha256-" + sha(bytes)), bytes);
        Files.write(blobs.resolve("sha256-" + sha(config)), config);
        Path manifest = root.resolve("manifests/registry.ollama.ai/library/llama3.2/1b");
        Files.createDirectories(manifest.getParent());
        Files.writeString(manifest, "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
                + "\"application/vnd.docker.container.image.v1+json\",\"digest\":\"sha256:" + sha(config) + "\"},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" + sha(bytes)
                + "\",\"size\":" + bytes.length + "}]}");
    }

    /** The hub cache's layout: blobs by hash, snapshots/COMMIT/ of relative symlinks, refs/main. */
    private static void hubModel(Path hub, Path folder) throws Exception {
        Path repo = hub.resolve("models--org--tiny");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.toList()) {
                String hash = sha(Files.readAllBytes(f));
                Files.copy(f, blobs.resolve(hash));
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()), Path.of("../../blobs/" + hash));
            }
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT);
    }
}
