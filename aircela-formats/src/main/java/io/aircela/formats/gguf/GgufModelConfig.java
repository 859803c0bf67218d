package io.aircela.formats.gguf;

import io.aircela.ModelFormatException;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.Metadata;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.RopeStyle;
import io.aircela.weights.TensorInfo;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Derives a {@link ModelConfig} from a GGUF file's {@code {arch}.*} keys and checks it against the
 * tensors: head counts divide the width, the embedding has {@code vocab} rows of {@code dim},
 * every layer index is below the block count, special token ids are inside the vocabulary.
 */
final class GgufModelConfig {
    private static final long MAX_DIM = 1L << 20;
    private static final long MAX_LAYERS = 4096;
    private static final long MAX_CONTEXT = 1L << 24;

    private final Path file;
    private final Metadata md;
    private final Map<String, Long> keyOffsets;
    private final String arch;

    private GgufModelConfig(Path file, Metadata md, Map<String, Long> keyOffsets, String arch) {
        this.file = file;
        this.md = md;
        this.keyOffsets = keyOffsets;
        this.arch = arch;
    }

    /**
     * @param keyOffsets where each metadata key's entry starts in the file, for error messages
     */
    static ModelConfig derive(Path file, Metadata md, Map<String, Long> keyOffsets, Map<String, TensorInfo> tensors,
                              List<LayerInfo> layers) {
        String arch = md.string("general.architecture").orElseThrow(() -> new ModelFormatException(file,
                "general.architecture", keyOffsets.getOrDefault("general.architecture", -1L),
                "missing or not a string; every GGUF model file names its architecture"));
        return new GgufModelConfig(file, md, keyOffsets, arch).derive(tensors, layers);
    }

    private ModelConfig derive(Map<String, TensorInfo> tensors, List<LayerInfo> layers) {
        int dim = positive("embedding_length", MAX_DIM);
        int blocks = positive("block_count", MAX_LAYERS);
        int ffn = positive("feed_forward_length", MAX_DIM * 4);
        int heads = positive("attention.head_count", MAX_DIM);
        int kvHeads = md.contains(key("attention.head_count_kv")) ? positive("attention.head_count_kv", MAX_DIM) : heads;
        int context = md.contains(key("context_length")) ? positive("context_length", MAX_CONTEXT) : 2048;
        if (heads % kvHeads != 0)
            throw bad("attention.head_count_kv", "KV head count " + kvHeads + " does not divide the head count " + heads);
        int headDim;
        if (md.contains(key("attention.key_length"))) {
            headDim = positive("attention.key_length", MAX_DIM);
        } else {
            if (dim % heads != 0)
                throw bad("attention.head_count", "head count " + heads + " does not divide embedding_length " + dim);
            headDim = dim / heads;
        }
        int ropeDims = md.contains(key("rope.dimension_count")) ? positive("rope.dimension_count", MAX_DIM) : headDim;
        if (ropeDims > headDim || ropeDims % 2 != 0)
            throw bad("rope.dimension_count", ropeDims + " must be even and at most the head width " + headDim);
        float ropeBase = (float) number("rope.freq_base", 10000.0);
        if (!(ropeBase > 0) || Float.isInfinite(ropeBase)) throw bad("rope.freq_base", "must be positive, was " + ropeBase);
        float eps = (float) number("attention.layer_norm_rms_epsilon", 1e-5);
        if (!(eps >= 0) || eps > 1) throw bad("attention.layer_norm_rms_epsilon", "must be in [0, 1], was " + eps);

        TensorInfo embd = tensors.get("token_embd.weight");
        if (embd == null) throw new ModelFormatException(file, "token_embd.weight", -1, "missing token embedding tensor");
        if (embd.rank() != 2 || embd.dim(0) != dim)
            throw new ModelFormatException(file, "token_embd.weight", embd.offset(), "shape "
                    + java.util.Arrays.toString(embd.shape()) + " does not match embedding_length " + dim);
        if (embd.dim(1) > Integer.MAX_VALUE)
            throw new ModelFormatException(file, "token_embd.weight", embd.offset(), "vocabulary too large");
        int vocab = (int) embd.dim(1);
        if (md.contains(key("vocab_size")) && md.integer(key("vocab_size")).orElse(-1) != vocab)
            throw bad("vocab_size", "says " + md.get(key("vocab_size")).orElse(null) + " but token_embd.weight has "
                    + vocab + " rows");
        int tokens = md.arrayLength("tokenizer.ggml.tokens");
        if (tokens >= 0 && tokens != vocab)
            throw new ModelFormatException(file, "tokenizer.ggml.tokens", at("tokenizer.ggml.tokens"), "has " + tokens
                    + " tokens but token_embd.weight has " + vocab + " rows");
        for (LayerInfo l : layers)
            if (l.index() >= blocks)
                throw new ModelFormatException(file, l.tensors().getFirst().name(), l.tensors().getFirst().offset(),
                        "layer " + l.index() + " is beyond block_count " + blocks);
        if (layers.size() != blocks)
            throw bad("block_count", "says " + blocks + " blocks but the file has tensors for " + layers.size()
                    + " (blk.N.* tensors missing)");
        int valueDim = md.contains(key("attention.value_length")) ? positive("attention.value_length", MAX_DIM) : headDim;
        checkLayerShapes(layers, dim, new int[]{heads * headDim, kvHeads * headDim, kvHeads * valueDim, heads * valueDim},
                ffn);
        TensorInfo output = tensors.get("output.weight");
        if (output != null) expectShape(output, dim, vocab);
        int bos = tokenId("tokenizer.ggml.bos_token_id", vocab);
        int eos = tokenId("tokenizer.ggml.eos_token_id", vocab);
        boolean tied = !tensors.containsKey("output.weight");
        RopeStyle style = switch (arch) {
            case "qwen2", "qwen2moe", "qwen3", "phi3", "gptneox", "stablelm", "falcon" -> RopeStyle.NEOX;
            default -> RopeStyle.NORMAL;
        };
        return new ModelConfig(arch, context, dim, blocks, heads, kvHeads, headDim, ffn, vocab, ropeBase, ropeDims,
                style, eps, tied, bos, eos);
    }

    private String key(String suffix) {
        return arch + "." + suffix;
    }

    private ModelFormatException bad(String suffix, String problem) {
        return new ModelFormatException(file, key(suffix), at(key(suffix)), problem);
    }

    /** Offset of a key's entry, or -1 when the key is absent. */
    private long at(String fullKey) {
        return keyOffsets.getOrDefault(fullKey, -1L);
    }

    /**
     * The shapes a block's projections must have, when present (ggml order: [in, out]).
     * {@code qkvoDims}: widths of q, k, v outputs and of the attention output's input.
     */
    private void checkLayerShapes(List<LayerInfo> layers, int dim, int[] qkvoDims, int ffn) {
        for (LayerInfo l : layers) {
            expectShape(l.tensor("attn_q.weight"), dim, qkvoDims[0]);
            expectShape(l.tensor("attn_k.weight"), dim, qkvoDims[1]);
            expectShape(l.tensor("attn_v.weight"), dim, qkvoDims[2]);
            expectShape(l.tensor("attn_output.weight"), qkvoDims[3], dim);
            expectShape(l.tensor("ffn_gate.weight"), dim, ffn);
            expectShape(l.tensor("ffn_up.weight"), dim, ffn);
            expectShape(l.tensor("ffn_down.weight"), ffn, dim);
            expectShape(l.tensor("attn_norm.weight"), dim);
        }
    }

    private void expectShape(TensorInfo t, long... shape) {
        if (t != null && !java.util.Arrays.equals(t.shape(), shape))
            throw new ModelFormatException(file, t.name(), t.offset(), "shape " + java.util.Arrays.toString(t.shape())
                    + " does not match the metadata's " + java.util.Arrays.toString(shape) + " (" + arch + ".* keys)");
    }

    private int positive(String suffix, long max) {
        String k = key(suffix);
        Object v = md.get(k).orElse(null);
        if (v == null) throw new ModelFormatException(file, k, at(k), "missing; needed to run a " + arch + " model");
        if (!(v instanceof Long n))
            throw new ModelFormatException(file, k, at(k), "must be an integer, found " + GgufWeightSource.describe(v));
        if (n <= 0 || n > max) throw new ModelFormatException(file, k, at(k), "value " + n + " is not in 1.." + max);
        return (int) (long) n;
    }

    private double number(String suffix, double dflt) {
        String k = key(suffix);
        if (!md.contains(k)) return dflt;
        OptionalDouble v = md.number(k);
        if (v.isEmpty()) throw new ModelFormatException(file, k, at(k), "must be a number, found "
                + GgufWeightSource.describe(md.get(k).orElse(null)));
        return v.getAsDouble();
    }

    private int tokenId(String k, int vocab) {
        if (!md.contains(k)) return -1;
        OptionalLong v = md.integer(k);
        if (v.isEmpty()) throw new ModelFormatException(file, k, at(k), "must be an integer, found "
                + GgufWeightSource.describe(md.get(k).orElse(null)));
        if (v.getAsLong() < 0 || v.getAsLong() >= vocab)
            throw new ModelFormatException(file, k, at(k), "token id " + v.getAsLong() + " is outside the vocabulary of "
                    + vocab);
        return (int) v.getAsLong();
    }
}
