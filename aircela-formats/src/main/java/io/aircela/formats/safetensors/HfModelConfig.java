package io.aircela.formats.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.ModelFormatException;
import io.aircela.UnsupportedModelException;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.RopeStyle;
import io.aircela.weights.TensorInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Derives a {@link ModelConfig} from an HF {@code config.json} (and {@code generation_config.json} for
 * the special token ids) and checks it against the tensors, whose names are already GGUF's. Rope style
 * is always {@link RopeStyle#NEOX}: HF checkpoints keep q/k in rotate-half order (GGUF's llama converter
 * permutes them for {@code NORMAL}; these files are not permuted).
 */
final class HfModelConfig {
    /** HF architecture class to the architecture the engine runs. */
    static final Map<String, String> SUPPORTED = Map.of(
            "LlamaForCausalLM", "llama",
            "MistralForCausalLM", "llama",
            "Qwen2ForCausalLM", "qwen2");
    private static final Map<String, String> BY_MODEL_TYPE = Map.of(
            "llama", "LlamaForCausalLM", "mistral", "MistralForCausalLM", "qwen2", "Qwen2ForCausalLM");
    private static final long MAX_DIM = 1L << 20;
    private static final long MAX_FFN = 1L << 22;
    private static final long MAX_LAYERS = 4096;
    private static final long MAX_CONTEXT = 1L << 24;
    private static final long MAX_VOCAB = 1L << 24;

    /** What a tensor's errors name: the file it lies in, its stored name and offset. */
    interface Origin {
        ModelFormatException error(TensorInfo t, String problem);
    }

    private final Path file;
    private final JsonNode json;
    private final Path genFile;
    private final JsonNode gen;

    private HfModelConfig(Path file, JsonNode json, Path genFile, JsonNode gen) {
        this.file = file;
        this.json = json;
        this.genFile = genFile;
        this.gen = gen;
    }

    /** The HF class named by {@code architectures[0]} (or implied by {@code model_type}); fails when unsupported. */
    static String hfArchitecture(Path file, JsonNode json) {
        if (!json.isObject()) throw new ModelFormatException(file, "", 0, "expected a JSON object, found "
                + SafetensorsFile.kind(json));
        JsonNode archs = json.get("architectures");
        String name;
        if (archs != null && archs.isArray() && !archs.isEmpty() && archs.get(0).isTextual()) name = archs.get(0).textValue();
        else if (json.path("model_type").isTextual()) name = BY_MODEL_TYPE.getOrDefault(json.get("model_type").textValue(),
                "model_type " + json.get("model_type").textValue());
        else throw new ModelFormatException(file, "architectures", -1, "missing; config.json must name the model class");
        if (!SUPPORTED.containsKey(name))
            throw new UnsupportedModelException(file + ": architecture " + name + " is not supported; AirCELA runs "
                    + String.join(", ", SUPPORTED.keySet().stream().sorted().toList()));
        return name;
    }

    /** {@code tie_word_embeddings} (default false, as in transformers' Llama, Mistral and Qwen2 configs). */
    static boolean tieWordEmbeddings(Path file, JsonNode json) {
        JsonNode v = json.get("tie_word_embeddings");
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw new ModelFormatException(file, "tie_word_embeddings", -1, "expected true or false, found "
                + SafetensorsFile.kind(v));
        return v.booleanValue();
    }

    /**
     * End-of-sequence ids: {@code generation_config.json}'s first (when it names any), then config.json's
     * that it lacks. Each is checked to be a token id.
     */
    static long[] eosIds(Path file, JsonNode json, Path genFile, JsonNode gen) {
        LinkedHashSet<Long> ids = new LinkedHashSet<>();
        if (gen != null) ids.addAll(ids(genFile, gen, "eos_token_id"));
        ids.addAll(ids(file, json, "eos_token_id"));
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    static ModelConfig derive(Path file, JsonNode json, Path genFile, JsonNode gen, boolean tied,
                              Map<String, TensorInfo> tensors, List<LayerInfo> layers, Origin origin) {
        return new HfModelConfig(file, json, genFile, gen).derive(tied, tensors, layers, origin);
    }

    private ModelConfig derive(boolean tied, Map<String, TensorInfo> tensors, List<LayerInfo> layers, Origin origin) {
        String arch = SUPPORTED.get(hfArchitecture(file, json));
        int dim = positive("hidden_size", MAX_DIM, -1);
        int blocks = positive("num_hidden_layers", MAX_LAYERS, -1);
        int heads = positive("num_attention_heads", MAX_DIM, -1);
        int kvHeads = positive("num_key_value_heads", MAX_DIM, heads);
        int ffn = positive("intermediate_size", MAX_FFN, -1);
        int vocab = positive("vocab_size", MAX_VOCAB, -1);
        int context = positive("max_position_embeddings", MAX_CONTEXT, 2048);
        if (heads % kvHeads != 0)
            throw bad("num_key_value_heads", kvHeads + " KV heads do not divide " + heads + " attention heads");
        int headDim = positive("head_dim", MAX_DIM, 0);
        if (headDim == 0) {
            if (dim % heads != 0) throw bad("num_attention_heads", heads + " heads do not divide hidden_size " + dim);
            headDim = dim / heads;
        }
        if (headDim % 2 != 0) throw bad("head_dim", "head width " + headDim + " is odd; rotary embedding needs it even");
        float ropeBase = (float) number("rope_theta", 10000.0);
        if (!(ropeBase > 0) || Float.isInfinite(ropeBase)) throw bad("rope_theta", "must be positive, was " + ropeBase);
        float eps = (float) number("rms_norm_eps", 1e-6);
        if (!(eps >= 0) || eps > 1) throw bad("rms_norm_eps", "must be in [0, 1], was " + eps);
        JsonNode act = json.get("hidden_act");
        if (act != null && act.isTextual() && !act.textValue().equals("silu"))
            throw new UnsupportedModelException(file + ": hidden_act " + act.textValue() + " is not supported; the "
                    + arch + " block runs silu");
        checkTensors(tensors, layers, origin, dim, blocks, vocab, ffn, new long[]{(long) heads * headDim,
                (long) kvHeads * headDim});
        long[] eos = eosIds(file, json, genFile, gen);
        List<Long> bos = gen != null && !ids(genFile, gen, "bos_token_id").isEmpty() ? ids(genFile, gen, "bos_token_id")
                : ids(file, json, "bos_token_id");
        for (long id : eos) tokenInVocab("eos_token_id", id, vocab);
        for (long id : bos) tokenInVocab("bos_token_id", id, vocab);
        return new ModelConfig(arch, context, dim, blocks, heads, kvHeads, headDim, ffn, vocab, ropeBase, headDim,
                RopeStyle.NEOX, eps, tied, bos.isEmpty() ? -1 : (int) (long) bos.getFirst(),
                eos.length == 0 ? -1 : (int) eos[0]);
    }

    /** qkDims: widths of the q and of the k/v projections' outputs. */
    private void checkTensors(Map<String, TensorInfo> tensors, List<LayerInfo> layers, Origin origin, int dim, int blocks,
                              int vocab, int ffn, long[] qkDims) {
        TensorInfo embd = tensors.get("token_embd.weight");
        if (embd == null) throw new ModelFormatException(file, "model.embed_tokens.weight", -1, "missing token embedding "
                + "tensor in the weights");
        if (embd.rank() != 2 || embd.dim(0) != dim)
            throw origin.error(embd, "shape " + hfShape(embd) + " does not match hidden_size " + dim + " in " + file);
        if (embd.dim(1) != vocab)
            throw bad("vocab_size", "says " + vocab + " but the token embedding has " + embd.dim(1) + " rows");
        for (LayerInfo l : layers)
            if (l.index() >= blocks)
                throw origin.error(l.tensors().getFirst(), "layer " + l.index() + " is beyond num_hidden_layers " + blocks);
        if (layers.size() != blocks)
            throw bad("num_hidden_layers", "says " + blocks + " layers but the weights hold " + layers.size());
        for (LayerInfo l : layers) {
            require(origin, l, "attn_norm.weight", dim);
            require(origin, l, "attn_q.weight", dim, qkDims[0]);
            require(origin, l, "attn_k.weight", dim, qkDims[1]);
            require(origin, l, "attn_v.weight", dim, qkDims[1]);
            require(origin, l, "attn_output.weight", qkDims[0], dim);
            require(origin, l, "ffn_norm.weight", dim);
            require(origin, l, "ffn_gate.weight", dim, ffn);
            require(origin, l, "ffn_up.weight", dim, ffn);
            require(origin, l, "ffn_down.weight", ffn, dim);
            optional(origin, l.tensor("attn_q.bias"), qkDims[0]);
            optional(origin, l.tensor("attn_k.bias"), qkDims[1]);
            optional(origin, l.tensor("attn_v.bias"), qkDims[1]);
        }
        TensorInfo norm = tensors.get("output_norm.weight");
        if (norm == null) throw new ModelFormatException(file, "model.norm.weight", -1, "missing final norm in the weights");
        optional(origin, norm, dim);
        optional(origin, tensors.get("output.weight"), dim, vocab);
    }

    private void require(Origin origin, LayerInfo l, String suffix, long... ggmlShape) {
        TensorInfo t = l.tensor(suffix);
        if (t == null) throw new ModelFormatException(file, "blk." + l.index() + "." + suffix, -1, "layer " + l.index()
                + " lacks this tensor (HF name under model.layers." + l.index() + ".)");
        optional(origin, t, ggmlShape);
    }

    /** Checks the shape of a tensor that may be absent; ggmlShape is innermost first. */
    private void optional(Origin origin, TensorInfo t, long... ggmlShape) {
        if (t == null || Arrays.equals(t.shape(), ggmlShape)) return;
        long[] expected = ggmlShape.clone();
        reverse(expected);
        throw origin.error(t, "shape " + hfShape(t) + " does not match config.json, which implies "
                + Arrays.toString(expected));
    }

    private static String hfShape(TensorInfo t) {
        long[] s = t.shape();
        reverse(s);
        return Arrays.toString(s);
    }

    static void reverse(long[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            long x = a[i];
            a[i] = a[j];
            a[j] = x;
        }
    }

    private ModelFormatException bad(String key, String problem) {
        return new ModelFormatException(file, key, -1, problem);
    }

    /** An integer in 1..max; {@code dflt} when absent or null (-1: required). */
    private int positive(String key, long max, int dflt) {
        JsonNode v = json.get(key);
        if (v == null || v.isNull()) {
            if (dflt >= 0) return dflt;
            throw bad(key, "missing; needed to run the model");
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong())
            throw bad(key, "must be an integer, found " + SafetensorsFile.kind(v));
        if (v.longValue() <= 0 || v.longValue() > max) throw bad(key, "value " + v.asText() + " is not in 1.." + max);
        return v.intValue();
    }

    private double number(String key, double dflt) {
        JsonNode v = json.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw bad(key, "must be a number, found " + SafetensorsFile.kind(v));
        return v.doubleValue();
    }

    private void tokenInVocab(String key, long id, int vocab) {
        if (id >= vocab) throw bad(key, "token id " + id + " is outside the vocabulary of " + vocab);
    }

    /** A token id field: absent/null (none), a non-negative integer, or a list of them. */
    private static List<Long> ids(Path file, JsonNode json, String key) {
        JsonNode v = json.get(key);
        List<Long> out = new ArrayList<>();
        if (v == null || v.isNull()) return out;
        if (v.isArray()) for (JsonNode x : v) out.add(id(file, key, x));
        else out.add(id(file, key, v));
        return out;
    }

    private static long id(Path file, String key, JsonNode x) {
        if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0 || x.longValue() > Integer.MAX_VALUE)
            throw new ModelFormatException(file, key, -1, "expected a token id (non-negative integer), found "
                    + SafetensorsFile.kind(x));
        return x.longValue();
    }
}
