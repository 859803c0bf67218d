package io.aircela.engine.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The HuggingFace hub cache, read in place: {@code models--org--name/refs/<revision>} holds a commit hash,
 * and {@code models--org--name/snapshots/<commit>/} is the model folder (its files are symlinks into
 * {@code blobs/}). Ids are {@code org/name} with an optional {@code @revision} (a branch or tag under
 * {@code refs/}, or a commit hash under {@code snapshots/}); the default revision is {@value #DEFAULT_REVISION}.
 * Stateless; thread-safe.
 */
final class HfHubStore {
    static final String DEFAULT_REVISION = "main";
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{7,64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    HfHubStore(Path root) {
        this.root = root;
    }

    /** A parsed, validated repo id. */
    record RepoId(String org, String name, String revision) {
        String folder() {
            return "models--" + org + "--" + name;
        }

        String display() {
            return org + "/" + name + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
        }
    }

    /** Parses {@code org/name[@revision]}; null when {@code id} does not have that shape. */
    static RepoId parse(String id) {
        String rest = id, rev = DEFAULT_REVISION;
        int at = rest.indexOf('@');
        if (at >= 0) {
            rev = ModelNames.part(id, "revision", rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String[] p = rest.split("/", -1);
        if (p.length != 2) return null;
        return new RepoId(ModelNames.part(id, "organisation", p[0]), ModelNames.part(id, "repository", p[1]), rev);
    }

    /** The snapshot folder of {@code id}, if the cache has it. */
    Optional<Path> find(RepoId id) {
        Path repo = root.resolve(id.folder());
        if (!Files.isDirectory(repo)) return Optional.empty();
        String commit = id.revision();
        Path ref = repo.resolve("refs").resolve(id.revision());
        if (Files.isRegularFile(ref)) commit = readRef(ref);
        else if (!COMMIT.matcher(commit).matches()) return Optional.empty();
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(snapshot))
            throw new AirCelaException("the HuggingFace cache entry " + repo + " names snapshot " + commit + " for "
                    + id.display() + ", which is missing; download the model again");
        return Optional.of(snapshot);
    }

    private static String readRef(Path ref) {
        try {
            if (Files.size(ref) > 256) throw new ModelFormatException(ref, "", -1, "too large for a commit hash");
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            if (!COMMIT.matcher(commit).matches())
                throw new ModelFormatException(ref, "", 0, "expected a commit hash (hex), found \""
                        + ModelNames.printable(commit) + "\"");
            return commit;
        } catch (IOException e) {
            throw new AirCelaException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    /** Every cached model revision (each ref of each {@code models--*} folder). */
    List<StoredModel> list() {
        if (!Files.isDirectory(root)) return List.of();
        List<StoredModel> out = new ArrayList<>();
        try (Stream<Path> repos = Files.list(root)) {
            for (Path repo : repos.filter(Files::isDirectory).sorted().toList()) {
                String[] parts = repo.getFileName().toString().split("--", -1);
                if (parts.length != 3 || !parts[0].equals("models")) continue;
                Path refs = repo.resolve("refs");
                if (!Files.isDirectory(refs)) continue;
                try (Stream<Path> rs = Files.list(refs)) {
                    for (Path ref : rs.filter(Files::isRegularFile).sorted().toList())
                        out.add(describe(new RepoId(parts[1], parts[2], ref.getFileName().toString())));
                }
            }
        } catch (IOException e) {
            throw new AirCelaException("cannot list the HuggingFace cache " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    private StoredModel describe(RepoId id) {
        try {
            Path snapshot = find(id).orElseThrow();
            long bytes = 0;
            boolean gguf = false;
            try (Stream<Path> files = Files.list(snapshot)) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    if (n.endsWith(".safetensors") || n.endsWith(".gguf")) bytes += Files.size(f); // follows the symlink
                    gguf |= n.endsWith(".gguf");
                }
            }
            return new StoredModel(id.display(), "huggingface", gguf ? "gguf" : "safetensors", bytes, dtype(snapshot),
                    snapshot);
        } catch (AirCelaException | IOException | java.util.NoSuchElementException e) {
            return new StoredModel(id.display(), "huggingface", "safetensors", -1, "unreadable: " + e.getMessage(),
                    root.resolve(id.folder()));
        }
    }

    /** {@code torch_dtype} (or {@code dtype}) of the snapshot's config.json, empty when absent. */
    private static String dtype(Path snapshot) {
        Path config = snapshot.resolve("config.json");
        if (!Files.isRegularFile(config)) return "";
        try {
            if (Files.size(config) > (1 << 20)) return "";
            JsonNode c = JSON.readTree(config.toFile());
            JsonNode t = c == null ? null : c.has("torch_dtype") ? c.get("torch_dtype") : c.get("dtype");
            return t != null && t.isTextual() ? t.textValue() : "";
        } catch (IOException e) {
            return "";
        }
    }
}
