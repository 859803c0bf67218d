package io.aircela.engine.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Ollama's model store, read in place: {@code manifests/<host>/<namespace>/<model>/<tag>} is an OCI-style
 * JSON manifest whose layer with media type {@value #MODEL_LAYER} names the GGUF blob
 * {@code blobs/sha256-<hex>}. Names are {@code [host/][namespace/]model[:tag]}, defaulting to
 * {@value #DEFAULT_HOST}, {@value #DEFAULT_NAMESPACE} and {@value #DEFAULT_TAG}. Stateless; thread-safe.
 */
final class OllamaStore {
    static final String MODEL_LAYER = "application/vnd.ollama.image.model";
    static final String CONFIG_LAYER = "application/vnd.docker.container.image.v1+json";
    static final String DEFAULT_HOST = "registry.ollama.ai";
    static final String DEFAULT_NAMESPACE = "library";
    static final String DEFAULT_TAG = "latest";
    private static final Pattern DIGEST = Pattern.compile("sha256[:-]([0-9a-f]{64})");
    private static final long MAX_MANIFEST = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    OllamaStore(Path root) {
        this.root = root;
    }

    /** A parsed, validated name. */
    record Name(String host, String namespace, String model, String tag) {
        /** Ollama's short form: {@code model:tag} in the default namespace, else the full path. */
        String display() {
            String base = host.equals(DEFAULT_HOST) ? (namespace.equals(DEFAULT_NAMESPACE) ? model : namespace + "/" + model)
                    : host + "/" + namespace + "/" + model;
            return base + ":" + tag;
        }
    }

    /** Parses {@code [host/][namespace/]model[:tag]}. */
    static Name parse(String name) {
        String rest = name, tag = DEFAULT_TAG;
        int colon = rest.lastIndexOf(':');
        if (colon >= 0 && rest.indexOf('/', colon) < 0) {
            tag = ModelNames.part(name, "tag", rest.substring(colon + 1));
            rest = rest.substring(0, colon);
        }
        String[] p = rest.split("/", -1);
        return switch (p.length) {
            case 1 -> new Name(DEFAULT_HOST, DEFAULT_NAMESPACE, ModelNames.part(name, "model", p[0]), tag);
            case 2 -> new Name(DEFAULT_HOST, ModelNames.part(name, "namespace", p[0]), ModelNames.part(name, "model", p[1]), tag);
            case 3 -> new Name(ModelNames.host(name, p[0]), ModelNames.part(name, "namespace", p[1]),
                    ModelNames.part(name, "model", p[2]), tag);
            default -> throw ModelNames.invalid(name, "an Ollama name has at most host/namespace/model");
        };
    }

    /** The manifest file of {@code name} (may not exist). */
    Path manifest(Name name) {
        return root.resolve("manifests").resolve(name.host()).resolve(name.namespace()).resolve(name.model())
                .resolve(name.tag());
    }

    /** The GGUF blob of {@code name}, if its manifest exists; a malformed manifest or missing blob fails. */
    Optional<Path> find(Name name) {
        Path manifest = manifest(name);
        if (!Files.isRegularFile(manifest)) return Optional.empty();
        return Optional.of(blob(manifest, layer(manifest, read(manifest), MODEL_LAYER)
                .orElseThrow(() -> new ModelFormatException(manifest, "layers", -1, "no layer of media type "
                        + MODEL_LAYER + "; is this a model (not an adapter or projector only)?"))));
    }

    /** Every model in the store. A manifest that cannot be read is listed with its problem as the quant. */
    List<StoredModel> list() {
        Path manifests = root.resolve("manifests");
        if (!Files.isDirectory(manifests)) return List.of();
        List<StoredModel> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(manifests, 4)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                Path rel = manifests.relativize(f);
                if (rel.getNameCount() != 4) continue;
                Name n = new Name(rel.getName(0).toString(), rel.getName(1).toString(), rel.getName(2).toString(),
                        rel.getName(3).toString());
                out.add(describe(n, f));
            }
        } catch (IOException e) {
            throw new AirCelaException("cannot list the Ollama store " + manifests + ": " + e.getMessage(), e);
        }
        return out;
    }

    private StoredModel describe(Name n, Path manifest) {
        try {
            JsonNode m = read(manifest);
            Path blob = blob(manifest, layer(manifest, m, MODEL_LAYER).orElseThrow(
                    () -> new ModelFormatException(manifest, "layers", -1, "no model layer")));
            String quant = layer(manifest, m, CONFIG_LAYER).flatMap(c -> fileType(manifest, c)).orElse("");
            return new StoredModel(n.display(), "ollama", "gguf", Files.size(blob), quant, blob);
        } catch (AirCelaException | IOException e) {
            return new StoredModel(n.display(), "ollama", "gguf", -1, "unreadable: " + e.getMessage(), manifest);
        }
    }

    /** {@code file_type} (e.g. Q4_K_M) from the config blob the manifest names. */
    private Optional<String> fileType(Path manifest, JsonNode configLayer) {
        JsonNode config = read(blob(manifest, configLayer));
        JsonNode ft = config.get("file_type");
        return ft != null && ft.isTextual() ? Optional.of(ft.textValue()) : Optional.empty();
    }

    private static Optional<JsonNode> layer(Path manifest, JsonNode m, String mediaType) {
        JsonNode config = m.get("config");
        if (config != null && mediaType.equals(config.path("mediaType").asText())) return Optional.of(config);
        JsonNode layers = m.get("layers");
        if (layers == null || !layers.isArray())
            throw new ModelFormatException(manifest, "layers", -1, "expected a list of layers");
        for (JsonNode l : layers) if (mediaType.equals(l.path("mediaType").asText())) return Optional.of(l);
        return Optional.empty();
    }

    /** The blob file a layer's digest names, checked to be {@code sha256:<64 hex>} and present. */
    private Path blob(Path manifest, JsonNode layer) {
        String digest = layer.path("digest").asText("");
        var m = DIGEST.matcher(digest);
        if (!m.matches())
            throw new ModelFormatException(manifest, "digest", -1, "expected sha256:<64 lower-case hex digits>, found \""
                    + ModelNames.printable(digest) + "\"");
        Path blob = root.resolve("blobs").resolve("sha256-" + m.group(1));
        if (!Files.isRegularFile(blob))
            throw new AirCelaException("the Ollama manifest " + manifest + " names blob " + blob + ", which is missing; "
                    + "run `ollama pull` again to complete the download");
        return blob;
    }

    private static JsonNode read(Path file) {
        try {
            if (Files.size(file) > MAX_MANIFEST)
                throw new ModelFormatException(file, "", -1, "larger than " + MAX_MANIFEST + " bytes; not a manifest");
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new ModelFormatException(file, "", 0, "expected a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ModelFormatException(file, "", -1, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new AirCelaException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
