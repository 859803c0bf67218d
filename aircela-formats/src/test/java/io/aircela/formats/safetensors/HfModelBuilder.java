package io.aircela.formats.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds HF model folders for tests: tensors by HF name with float values, a config.json (and
 * optionally generation_config.json), written as one {@code model.safetensors} or as shards plus
 * {@code model.safetensors.index.json}.
 */
final class HfModelBuilder {
    static final int DIM = 8, LAYERS = 2, HEADS = 2, KV_HEADS = 1, FFN = 16, VOCAB = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, float[]> values = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();
    final Map<String, Object> config = new LinkedHashMap<>();
    Map<String, Object> generation;
    String dtype = "F32";
    int shards = 1;

    HfModelBuilder tensor(String hfName, float[] v, long... shape) {
        values.put(hfName, v);
        shapes.put(hfName, shape);
        return this;
    }

    HfModelBuilder dtype(String dtype) {
        this.dtype = dtype;
        return this;
    }

    HfModelBuilder shards(int shards) {
        this.shards = shards;
        return this;
    }

    /** A valid tiny Llama (dim 8, 2 layers, 2 heads / 1 KV head, ffn 16, vocab 10, untied) with seeded values. */
    static HfModelBuilder tinyLlama() {
        HfModelBuilder b = new HfModelBuilder();
        Random r = new Random(7);
        int kv = KV_HEADS * (DIM / HEADS);
        b.random(r, "model.embed_tokens.weight", VOCAB, DIM);
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            b.random(r, p + "input_layernorm.weight", DIM);
            b.random(r, p + "self_attn.q_proj.weight", DIM, DIM);
            b.random(r, p + "self_attn.k_proj.weight", kv, DIM);
            b.random(r, p + "self_attn.v_proj.weight", kv, DIM);
            b.random(r, p + "self_attn.o_proj.weight", DIM, DIM);
            b.random(r, p + "post_attention_layernorm.weight", DIM);
            b.random(r, p + "mlp.gate_proj.weight", FFN, DIM);
            b.random(r, p + "mlp.up_proj.weight", FFN, DIM);
            b.random(r, p + "mlp.down_proj.weight", DIM, FFN);
        }
        b.random(r, "model.norm.weight", DIM);
        b.random(r, "lm_head.weight", VOCAB, DIM);
        b.config.putAll(Map.of("architectures", List.of("LlamaForCausalLM"), "model_type", "llama",
                "hidden_size", DIM, "num_hidden_layers", LAYERS, "num_attention_heads", HEADS,
                "num_key_value_heads", KV_HEADS, "intermediate_size", FFN, "vocab_size", VOCAB,
                "max_position_embeddings", 64, "rms_norm_eps", 1e-5));
        b.config.put("bos_token_id", 1);
        b.config.put("eos_token_id", 2);
        b.config.put("tie_word_embeddings", false);
        return b;
    }

    private void random(Random r, String name, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.5);
        tensor(name, v, shape);
    }

    /**
     * The same model as a GGUF source, as HF would store it: names back to HF's, shapes outermost first,
     * q/k rows un-permuted to rotate-half order. Only F32 tensors are supported.
     */
    static HfModelBuilder fromGguf(WeightSource gguf) {
        ModelConfig c = gguf.config().orElseThrow();
        HfModelBuilder b = new HfModelBuilder();
        for (TensorInfo t : gguf.tensors()) {
            float[] v = gguf.view(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            long[] shape = t.shape();
            HfModelConfig.reverse(shape);
            int rows = (int) t.rows(), cols = (int) t.cols();
            if (t.name().endsWith("attn_q.weight")) v = QkPermutation.ggufToHf(v, rows, cols, c.heads());
            if (t.name().endsWith("attn_k.weight")) v = QkPermutation.ggufToHf(v, rows, cols, c.kvHeads());
            b.tensor(hfName(t.name()), v, shape);
        }
        b.config.put("architectures", List.of("LlamaForCausalLM"));
        b.config.put("hidden_size", c.dim());
        b.config.put("num_hidden_layers", c.layers());
        b.config.put("num_attention_heads", c.heads());
        b.config.put("num_key_value_heads", c.kvHeads());
        b.config.put("intermediate_size", c.ffnDim());
        b.config.put("vocab_size", c.vocabSize());
        b.config.put("max_position_embeddings", c.contextLength());
        b.config.put("rope_theta", (double) c.ropeBase());
        b.config.put("rms_norm_eps", (double) c.normEps());
        b.config.put("tie_word_embeddings", c.tiedEmbeddings());
        b.config.put("bos_token_id", c.bosId());
        b.config.put("eos_token_id", c.eosId());
        return b;
    }

    /** GGUF's name to HF's (the inverse of {@link HfTensorNames#toGguf}); the TCK's HF-folder writer owns the table. */
    static String hfName(String gguf) {
        return io.aircela.tck.GgufToHf.hfName(gguf);
    }

    /** Writes config(s) and weights into {@code dir} (created if needed); returns {@code dir}. */
    Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            JSON.writeValue(dir.resolve("config.json").toFile(), config);
            if (generation != null) JSON.writeValue(dir.resolve("generation_config.json").toFile(), generation);
            if (shards == 1) {
                writer(new ArrayList<>(values.keySet())).write(dir.resolve("model.safetensors"));
                return dir;
            }
            List<String> names = new ArrayList<>(values.keySet());
            Map<String, String> weightMap = new LinkedHashMap<>();
            int per = (names.size() + shards - 1) / shards;
            for (int s = 0; s < shards; s++) {
                String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
                List<String> part = names.subList(Math.min(names.size(), s * per), Math.min(names.size(), (s + 1) * per));
                writer(part).write(dir.resolve(file));
                for (String n : part) weightMap.put(n, file);
            }
            JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(),
                    Map.of("metadata", Map.of("total_size", 0), "weight_map", weightMap));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SafetensorsWriter writer(List<String> names) {
        SafetensorsWriter w = new SafetensorsWriter().metadata(Map.of("format", "pt"));
        for (String n : names) w.add(n, dtype, values.get(n), shapes.get(n));
        return w;
    }
}
