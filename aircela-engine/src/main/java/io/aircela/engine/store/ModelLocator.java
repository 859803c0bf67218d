package io.aircela.engine.store;

import io.aircela.AirCelaException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns what a user typed after {@code -m} into a model file or folder, without copying anything. In this
 * order: an existing path (GGUF file or HF folder); an Ollama name ({@code llama3.2:1b},
 * {@code library/llama3.2:latest}, {@code hf.co/org/repo:Q4_K_M}) found in the Ollama store; a HuggingFace
 * repo id ({@code org/name}, {@code org/name@revision}) found in the hub cache. Names are validated before
 * they touch the file system (no {@code ..}, no absolute paths, no odd characters). Nothing is downloaded.
 * Immutable; thread-safe.
 */
public final class ModelLocator {
    private final ModelStores stores;
    private final OllamaStore ollama;
    private final HfHubStore hf;

    public ModelLocator(ModelStores stores) {
        this.stores = stores;
        this.ollama = new OllamaStore(stores.ollamaRoot());
        this.hf = new HfHubStore(stores.hfHubRoot());
    }

    /** A locator over the stores the environment names ({@link ModelStores#fromEnvironment()}). */
    public static ModelLocator fromEnvironment() {
        return new ModelLocator(ModelStores.fromEnvironment());
    }

    /** The roots searched. */
    public ModelStores stores() {
        return stores;
    }

    /**
     * The file or folder {@code spec} names.
     *
     * @throws io.aircela.ConfigurationException spec is neither an existing path nor a valid name
     * @throws AirCelaException                  a valid name found in no store (the message lists where it looked),
     *                                           or a store entry that is incomplete or malformed
     */
    public Path resolve(String spec) {
        if (spec == null || spec.isBlank()) throw ModelNames.invalid("", "empty");
        Optional<Path> path = existingPath(spec);
        if (path.isPresent()) return path.get();
        if (spec.startsWith("/") || spec.startsWith("\\") || spec.contains("\\") || spec.startsWith("~")
                || spec.startsWith("."))
            throw new AirCelaException("model not found: " + ModelNames.printable(spec) + " (no such file or folder)");
        List<String> looked = new ArrayList<>();
        if (!spec.contains("@")) { // '@' marks a HuggingFace revision; Ollama names have none
            OllamaStore.Name name = OllamaStore.parse(spec);
            Optional<Path> blob = ollama.find(name);
            if (blob.isPresent()) return blob.get();
            looked.add("Ollama manifest " + ollama.manifest(name));
        }
        HfHubStore.RepoId id = spec.contains(":") ? null : HfHubStore.parse(spec);
        if (id != null) {
            Optional<Path> snapshot = hf.find(id);
            if (snapshot.isPresent()) return singleGguf(snapshot.get());
            looked.add("HuggingFace cache " + stores.hfHubRoot().resolve(id.folder()) + " (revision " + id.revision() + ")");
        }
        throw new AirCelaException("model not found: " + ModelNames.printable(spec) + " is no file or folder, and there is no "
                + String.join(", no ", looked) + ". AirCELA reads models in place and downloads nothing: `ollama pull "
                + "NAME` or `huggingface-cli download org/name` first, or set OLLAMA_MODELS / HF_HUB_CACHE / HF_HOME");
    }

    /** Every model in both stores: Ollama first, then the HF cache, each sorted by name. */
    public List<StoredModel> list() {
        List<StoredModel> all = new ArrayList<>(ollama.list());
        all.addAll(hf.list());
        return all;
    }

    private static Optional<Path> existingPath(String spec) {
        try {
            Path p = Path.of(spec);
            return Files.exists(p) ? Optional.of(p) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** A GGUF-only repo snapshot (one .gguf, no config.json) resolves to that file; otherwise the folder. */
    private static Path singleGguf(Path snapshot) {
        if (Files.exists(snapshot.resolve("config.json"))) return snapshot;
        try (Stream<Path> files = Files.list(snapshot)) {
            List<Path> ggufs = files.filter(f -> f.getFileName().toString().endsWith(".gguf")).toList();
            return ggufs.size() == 1 ? ggufs.get(0) : snapshot;
        } catch (IOException e) {
            return snapshot;
        }
    }
}
