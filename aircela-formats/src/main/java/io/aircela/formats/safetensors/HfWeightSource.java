package io.aircela.formats.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;
import io.aircela.formats.internal.TensorLayers;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.Metadata;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A HuggingFace model folder ({@code config.json} + {@code model.safetensors}, or a
 * {@code model.safetensors.index.json} and its shards) or a lone {@code .safetensors} file, every weight
 * file memory-mapped with the FFM API (each in its own shared {@link java.lang.foreign.Arena}), all
 * released by {@link #close()}; tensor views are zero-copy slices. Reads F32, F16 and BF16 tensors.
 *
 * <p>Tensors are presented as GGUF presents them, so the engine needs one code path: names are
 * translated ({@code model.layers.0.self_attn.q_proj.weight} becomes {@code blk.0.attn_q.weight}, names
 * without a counterpart are kept) and shapes are in ggml order (safetensors' {@code [rows, cols]} becomes
 * {@code [cols, rows]}). q/k weights are NOT permuted: the config says {@link io.aircela.weights.RopeStyle#NEOX}.
 * When {@code tie_word_embeddings} is true, a stored {@code lm_head.weight} is left out (transformers
 * ignores it too). {@link TensorInfo#offset()} counts in the shards laid end to end in shard order (shard
 * {@code i} starts at the sum of the sizes of the shards before it), so offsets are unique and layer
 * byte ranges comparable; {@link #file(TensorInfo)} and {@link #fileOffset(TensorInfo)} give the real
 * location. Metadata holds config.json's values as {@code hf.*} (see {@link HfMetadata}),
 * generation_config.json's as {@code hf.generation.*}, every end-of-sequence id as {@code hf.eos_token_ids}
 * ({@code long[]}), {@code general.architecture} ({@code llama} or {@code qwen2}), {@code hf.architecture}
 * (the HF class name) and each file's {@code __metadata__} as {@code safetensors.*}.
 *
 * <p>Thread safety: every read method may be called from any thread until {@link #close()}.
 */
public final class HfWeightSource implements WeightSource {
    /** Across all shards; bounds memory for a hostile index of many shards. */
    private static final int MAX_TENSORS = 1 << 20;

    private record Located(TensorInfo info, String storedName, SafetensorsFile file, long fileOffset) {
    }

    private final Path path;
    private final String format;
    private final List<SafetensorsFile> files;
    private final Map<String, Located> byName = new HashMap<>();
    private final List<TensorInfo> tensors;
    private final List<LayerInfo> layers;
    private final Metadata metadata;
    private final ModelConfig config;
    private volatile boolean closed;

    private HfWeightSource(Path path, HfFolder folder, JsonNode cfg, JsonNode gen, List<SafetensorsFile> files) {
        this.path = path;
        this.files = List.copyOf(files);
        this.format = cfg == null ? "safetensors" : "HF safetensors" + (files.size() > 1 ? " (" + files.size() + " shards)" : "");
        List<TensorInfo> all = collectTensors(folder);
        boolean tied = false;
        if (cfg != null) {
            boolean tieFlag = HfModelConfig.tieWordEmbeddings(folder.config(), cfg);
            tied = tieFlag || !byName.containsKey("output.weight");
            if (tieFlag && byName.containsKey("output.weight")) all.remove(byName.remove("output.weight").info());
        }
        this.tensors = List.copyOf(all);
        this.layers = TensorLayers.group(tensors);
        Map<String, TensorInfo> infos = new HashMap<>();
        for (TensorInfo t : tensors) infos.put(t.name(), t);
        this.config = cfg == null ? null : HfModelConfig.derive(folder.config(), cfg, folder.generation(), gen, tied, infos,
                layers, this::tensorError);
        this.metadata = new Metadata(metadata(folder, cfg, gen));
    }

    /**
     * Opens and validates a model folder or a single {@code .safetensors} file.
     *
     * @throws ModelFormatException when a file is malformed (naming the file, field or tensor, and byte offset)
     * @throws io.aircela.UnsupportedModelException for an architecture or dtype AirCELA does not run
     * @throws AirCelaException     when it cannot be read at all
     */
    public static HfWeightSource open(Path path) {
        if (!Files.exists(path)) throw new AirCelaException("model path not found: " + path);
        HfFolder folder = Files.isDirectory(path) ? HfFolder.ofFolder(path) : HfFolder.ofFile(path);
        JsonNode cfg = folder.config() == null ? null : HfJson.readFile(folder.config());
        if (cfg != null) HfModelConfig.hfArchitecture(folder.config(), cfg); // fail fast, before mapping gigabytes
        JsonNode gen = folder.generation() == null ? null : HfJson.readFile(folder.generation());
        if (gen != null && !gen.isObject())
            throw new ModelFormatException(folder.generation(), "", 0, "expected a JSON object");
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (Path shard : folder.shards()) files.add(SafetensorsFile.open(shard));
            return new HfWeightSource(path, folder, cfg, gen, files);
        } catch (RuntimeException e) {
            release(files);
            throw e;
        }
    }

    /** Every tensor of every file, in file order, registered in {@link #byName}. */
    private List<TensorInfo> collectTensors(HfFolder folder) {
        List<TensorInfo> tensors = new ArrayList<>();
        long base = 0;
        for (SafetensorsFile f : files) {
            for (SafetensorsFile.Entry e : f.entries) {
                String name = HfTensorNames.toGguf(e.name());
                long[] shape = e.shape().length == 0 ? new long[]{1} : e.shape().clone();
                HfModelConfig.reverse(shape);
                TensorInfo t = new TensorInfo(name, e.type(), shape, base + e.begin(), e.end() - e.begin(),
                        HfTensorNames.layerOf(name));
                Located previous = byName.putIfAbsent(name, new Located(t, e.name(), f, e.begin()));
                if (previous != null)
                    throw new ModelFormatException(f.path, e.name(), e.begin(), "duplicate tensor: " + previous.storedName()
                            + " in " + previous.file().path + " is also " + name);
                checkIndexed(folder, f, e);
                if (tensors.size() == MAX_TENSORS)
                    throw new ModelFormatException(f.path, e.name(), e.begin(), "more than " + MAX_TENSORS + " tensors");
                tensors.add(t);
            }
            base += f.mapped.byteSize();
        }
        if (folder.weightMap() == null) return tensors;
        for (String listed : folder.weightMap().keySet())
            if (!byName.containsKey(HfTensorNames.toGguf(listed)))
                throw new ModelFormatException(folder.index(), "weight_map." + listed, -1, "names a tensor that "
                        + folder.weightMap().get(listed) + " does not hold");
        return tensors;
    }

    private static void checkIndexed(HfFolder folder, SafetensorsFile f, SafetensorsFile.Entry e) {
        if (folder.weightMap() == null) return;
        Path listed = folder.weightMap().get(e.name());
        if (!f.path.equals(listed))
            throw new ModelFormatException(f.path, e.name(), e.begin(), listed == null
                    ? "tensor is not listed in " + folder.index() + "; the index and the shards disagree"
                    : "the index places this tensor in " + listed);
    }

    private ModelFormatException tensorError(TensorInfo t, String problem) {
        Located l = byName.get(t.name());
        return new ModelFormatException(l.file().path, l.storedName(), l.fileOffset(), problem);
    }

    private Map<String, Object> metadata(HfFolder folder, JsonNode cfg, JsonNode gen) {
        Map<String, Object> md = new LinkedHashMap<>();
        if (cfg != null) {
            String hfArch = HfModelConfig.hfArchitecture(folder.config(), cfg);
            md.put("general.architecture", HfModelConfig.SUPPORTED.get(hfArch));
            md.put("hf.architecture", hfArch);
            HfMetadata.flatten("hf.", cfg, md);
            if (gen != null) HfMetadata.flatten("hf.generation.", gen, md);
            md.put("hf.eos_token_ids", HfModelConfig.eosIds(folder.config(), cfg, folder.generation(), gen));
        }
        for (SafetensorsFile f : files)
            for (Map.Entry<String, String> e : new TreeMap<>(f.metadata).entrySet())
                md.putIfAbsent("safetensors." + e.getKey(), e.getValue());
        return md;
    }

    /** The weight file holding {@code tensor} (a real path inside the model folder). */
    public Path file(TensorInfo tensor) {
        return locate(tensor).file().path;
    }

    /** Byte offset of {@code tensor}'s first byte in {@link #file(TensorInfo)}. */
    public long fileOffset(TensorInfo tensor) {
        return locate(tensor).fileOffset();
    }

    /** The tensor's name as stored in the file (HF spelling). */
    public String storedName(TensorInfo tensor) {
        return locate(tensor).storedName();
    }

    /** The weight files, in shard order. */
    public List<Path> files() {
        return files.stream().map(f -> f.path).toList();
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public Optional<ModelConfig> config() {
        return Optional.ofNullable(config);
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Optional<TensorInfo> tensor(String name) {
        Located l = byName.get(name);
        return l == null ? Optional.empty() : Optional.of(l.info());
    }

    @Override
    public List<LayerInfo> layers() {
        return layers;
    }

    @Override
    public MemorySegment view(TensorInfo tensor) {
        checkOpen();
        Located l = locate(tensor);
        return l.file().mapped.slice(l.fileOffset(), tensor.byteSize());
    }

    /**
     * Reads the tensor's bytes with positional file reads (not through the mapping), so the caller's
     * buffer, not the page cache's mapping, holds the data.
     */
    @Override
    public void read(TensorInfo tensor, MemorySegment dst) {
        checkOpen();
        Located l = locate(tensor);
        l.file().mapped.readTensor(l.fileOffset(), tensor.byteSize(), dst, tensor.name(), l.storedName());
    }

    private Located locate(TensorInfo tensor) {
        Located l = byName.get(tensor.name());
        if (l == null || !l.info().equals(tensor))
            throw new IllegalArgumentException("tensor " + tensor.name() + " does not belong to " + path);
        return l;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("weight source " + path + " is closed");
    }

    @Override
    public void close() {
        closed = true;
        release(files); // once: each file ignores later calls
    }

    private static void release(List<SafetensorsFile> files) {
        for (SafetensorsFile f : files) f.close();
    }
}
