package io.aircela.engine.store;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where models already are: Ollama's store and the HuggingFace hub cache. Roots need not exist.
 *
 * <p>Defaults, first found wins: the Ollama root is the system property {@code aircela.ollama.models}, then
 * {@code $OLLAMA_MODELS}, then {@code ~/.ollama/models}; the HF hub cache is {@code aircela.hf.hub}, then
 * {@code $HF_HUB_CACHE}, then {@code $HF_HOME/hub}, then {@code ~/.cache/huggingface/hub} (as
 * {@code huggingface_hub} resolves it).
 *
 * @param ollamaRoot the folder holding {@code manifests/} and {@code blobs/}
 * @param hfHubRoot  the folder holding {@code models--org--name/}
 */
public record ModelStores(Path ollamaRoot, Path hfHubRoot) {
    public ModelStores {
        Objects.requireNonNull(ollamaRoot, "ollamaRoot");
        Objects.requireNonNull(hfHubRoot, "hfHubRoot");
    }

    /** The roots this process's environment and system properties name. */
    public static ModelStores fromEnvironment() {
        return from(System.getenv(), System.getProperty("user.home"), System.getProperty("aircela.ollama.models"),
                System.getProperty("aircela.hf.hub"));
    }

    /**
     * The roots for environment {@code env} and home folder {@code home}; {@code ollamaOverride} and
     * {@code hfOverride} (system properties; null for none) win over the environment.
     */
    static ModelStores from(Map<String, String> env, String home, String ollamaOverride, String hfOverride) {
        Path h = Path.of(home == null ? "." : home);
        Path ollama = firstSet(ollamaOverride, env.get("OLLAMA_MODELS"));
        Path hf = firstSet(hfOverride, env.get("HF_HUB_CACHE"));
        if (hf == null && notBlank(env.get("HF_HOME"))) hf = Path.of(env.get("HF_HOME")).resolve("hub");
        return new ModelStores(ollama != null ? ollama : h.resolve(".ollama").resolve("models"),
                hf != null ? hf : h.resolve(".cache").resolve("huggingface").resolve("hub"));
    }

    private static Path firstSet(String a, String b) {
        if (notBlank(a)) return Path.of(a);
        if (notBlank(b)) return Path.of(b);
        return null;
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
