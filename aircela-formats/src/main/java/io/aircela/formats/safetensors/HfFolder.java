package io.aircela.formats.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which files of an HF model folder are read, every one resolved to a real path inside the folder:
 * a shard index naming {@code ../x}, an absolute path or a symlink that leads elsewhere is refused, so
 * nothing outside the model folder is ever opened. The one exception is HuggingFace's own cache
 * ({@code models--org--name/snapshots/REV/} holds symlinks into {@code models--org--name/blobs/}): there
 * the repository folder {@code models--org--name} is the boundary.
 *
 * @param dir        the model folder (real path)
 * @param config     {@code config.json}, or null (a lone .safetensors file without one)
 * @param generation {@code generation_config.json}, or null
 * @param index      {@code model.safetensors.index.json}, or null
 * @param shards     the weight files, in shard order
 * @param weightMap  the index's tensor (HF name) to shard mapping, or null without an index
 */
record HfFolder(Path dir, Path config, Path generation, Path index, List<Path> shards, Map<String, Path> weightMap) {
    static final String CONFIG = "config.json";
    static final String GENERATION = "generation_config.json";
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    private static final int MAX_SHARDS = 4096;

    /** Finds the files of the folder {@code path}. */
    static HfFolder ofFolder(Path path) {
        Path dir = realDir(path);
        Path root = boundary(dir);
        Path config = optional(root, dir, CONFIG);
        if (config == null)
            throw new ModelFormatException(dir.resolve(CONFIG), "", -1, "missing; an HF model folder needs config.json "
                    + "beside its weights");
        Path generation = optional(root, dir, GENERATION);
        Path single = optional(root, dir, SINGLE);
        if (single != null) return new HfFolder(dir, config, generation, null, List.of(single), null);
        Path index = optional(root, dir, INDEX);
        if (index == null)
            throw new ModelFormatException(dir.resolve(SINGLE), "", -1, "no " + SINGLE + " nor " + INDEX + " in the "
                    + "folder; AirCELA reads safetensors weights (convert pytorch_model.bin with transformers first)");
        Map<String, Path> shardsByName = new TreeMap<>();
        Map<String, Path> weightMap = readIndex(root, dir, index, shardsByName);
        return new HfFolder(dir, config, generation, index, List.copyOf(shardsByName.values()), weightMap);
    }

    /**
     * A lone .safetensors file. Its folder's config.json applies when the folder has no shard index
     * (then the file is the whole model); a shard opened alone has no config.
     */
    static HfFolder ofFile(Path path) {
        Path file;
        try {
            file = path.toRealPath();
        } catch (IOException e) {
            throw new AirCelaException("cannot open model file " + path + ": " + e.getMessage(), e);
        }
        Path dir = file.getParent();
        Path root = boundary(dir);
        boolean shard = Files.exists(dir.resolve(INDEX));
        Path config = shard ? null : optional(root, dir, CONFIG);
        Path generation = config == null ? null : optional(root, dir, GENERATION);
        return new HfFolder(dir, config, generation, null, List.of(file), null);
    }

    private static Path realDir(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new AirCelaException("cannot open model folder " + path + ": " + e.getMessage(), e);
        }
    }

    /** The folder nothing may leave: the model folder, or the repository folder of an HF cache snapshot. */
    private static Path boundary(Path dir) {
        Path snapshots = dir.getParent();
        Path repo = snapshots == null ? null : snapshots.getParent();
        if (repo != null && snapshots.getFileName().toString().equals("snapshots")
                && repo.getFileName().toString().startsWith("models--")) return repo;
        return dir;
    }

    /** {@code name} in {@code dir} if it exists (checked to stay inside {@code root}), else null. */
    private static Path optional(Path root, Path dir, String name) {
        if (!Files.exists(dir.resolve(name))) return null;
        return inside(root, dir, name, dir.resolve(name), name);
    }

    /** The index's weight map; fills {@code resolved} with each shard name's real path, in name order. */
    private static Map<String, Path> readIndex(Path root, Path dir, Path index, Map<String, Path> resolved) {
        JsonNode json = HfJson.readFile(index);
        JsonNode map = json.isObject() ? json.get("weight_map") : null;
        if (map == null || !map.isObject() || map.isEmpty())
            throw new ModelFormatException(index, "weight_map", -1, "expected a non-empty object mapping tensor names "
                    + "to shard files, found " + SafetensorsFile.kind(map));
        Map<String, Path> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String field = "weight_map." + e.getKey();
            if (!e.getValue().isTextual())
                throw new ModelFormatException(index, field, -1, "expected a shard file name, found "
                        + SafetensorsFile.kind(e.getValue()));
            String shard = e.getValue().textValue();
            Path p = resolved.get(shard);
            if (p == null) {
                if (resolved.size() == MAX_SHARDS)
                    throw new ModelFormatException(index, field, -1, "more than " + MAX_SHARDS + " shard files");
                p = inside(root, dir, shard, index, field);
                resolved.put(shard, p);
            }
            weightMap.put(e.getKey(), p);
        }
        return weightMap;
    }

    /**
     * The real path of {@code relative} under {@code dir}, refusing anything that leaves {@code root}.
     * {@code from} and {@code field} name what referred to it, for the error.
     */
    private static Path inside(Path root, Path dir, String relative, Path from, String field) {
        Path rel;
        try {
            rel = Path.of(relative);
        } catch (InvalidPathException e) {
            throw new ModelFormatException(from, field, -1, "\"" + relative + "\" is not a valid file name");
        }
        if (relative.isEmpty() || rel.isAbsolute())
            throw new ModelFormatException(from, field, -1, "\"" + relative + "\" is not a relative path; weight files "
                    + "must lie inside the model folder");
        Path p = dir.resolve(rel).normalize();
        if (!p.startsWith(dir) || p.equals(dir))
            throw new ModelFormatException(from, field, -1, "\"" + relative + "\" leaves the model folder " + dir);
        if (!Files.exists(p))
            throw new ModelFormatException(from, field, -1, "names " + p + ", which does not exist (incomplete download?)");
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            throw new AirCelaException("cannot resolve " + p + ": " + e.getMessage(), e);
        }
        if (!real.startsWith(root))
            throw new ModelFormatException(from, field, -1, p + " is a link to " + real + ", outside the model folder "
                    + root + "; refusing to open it");
        if (!Files.isRegularFile(real))
            throw new ModelFormatException(from, field, -1, p + " is not a regular file");
        return real;
    }
}
