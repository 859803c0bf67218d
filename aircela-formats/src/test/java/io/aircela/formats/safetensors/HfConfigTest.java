package io.aircela.formats.safetensors;

import io.aircela.ModelFormatException;
import io.aircela.UnsupportedModelException;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.RopeStyle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.aircela.formats.safetensors.HfModelBuilder.DIM;
import static io.aircela.formats.safetensors.HfModelBuilder.FFN;
import static io.aircela.formats.safetensors.HfModelBuilder.HEADS;
import static io.aircela.formats.safetensors.HfModelBuilder.KV_HEADS;
import static io.aircela.formats.safetensors.HfModelBuilder.LAYERS;
import static io.aircela.formats.safetensors.HfModelBuilder.VOCAB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** config.json (and generation_config.json) to ModelConfig and metadata, and every config error. */
class HfConfigTest {
    @TempDir
    Path tmp;

    private HfWeightSource open(HfModelBuilder b) {
        return HfWeightSource.open(b.write(tmp.resolve("m" + System.nanoTime())));
    }

    private ModelFormatException broken(HfModelBuilder b, String field, String problem) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> open(b).close());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        return e;
    }

    private static HfModelBuilder with(String key, Object value) {
        HfModelBuilder b = HfModelBuilder.tinyLlama();
        if (value == null) b.config.remove(key);
        else b.config.put(key, value);
        return b;
    }

    @Test
    void tinyLlamaConfigAndMetadata() {
        try (HfWeightSource s = open(HfModelBuilder.tinyLlama())) {
            assertEquals(new ModelConfig("llama", 64, DIM, LAYERS, HEADS, KV_HEADS, DIM / HEADS, FFN, VOCAB, 10000f,
                    DIM / HEADS, RopeStyle.NEOX, 1e-5f, false, 1, 2), s.config().orElseThrow());
            var md = s.metadata();
            assertEquals("llama", md.string("general.architecture").orElseThrow());
            assertEquals("LlamaForCausalLM", md.string("hf.architecture").orElseThrow());
            assertEquals(DIM, md.integer("hf.hidden_size").orElseThrow());
            assertEquals(1e-5, md.number("hf.rms_norm_eps").orElseThrow());
            assertEquals(false, md.bool("hf.tie_word_embeddings").orElseThrow());
            assertEquals("llama", md.string("hf.model_type").orElseThrow());
            assertArrayEquals(new String[]{"LlamaForCausalLM"}, md.strings("hf.architectures").orElseThrow());
            assertArrayEquals(new long[]{2}, md.integers("hf.eos_token_ids").orElseThrow());
            assertEquals("HF safetensors", s.format());
            assertTrue(s.tensor("output.weight").isPresent());
        }
    }

    @Test
    void mistralRunsAsLlamaAndNestedValuesFlatten() {
        HfModelBuilder b = with("architectures", List.of("MistralForCausalLM"));
        b.config.put("rope_scaling", Map.of("type", "linear", "factor", 2.0));
        b.config.put("sliding_window", null);
        b.config.put("rope_theta", 1_000_000);
        try (HfWeightSource s = open(b)) {
            assertEquals("llama", s.config().orElseThrow().architecture());
            assertEquals(1e6f, s.config().orElseThrow().ropeBase());
            assertEquals("MistralForCausalLM", s.metadata().string("hf.architecture").orElseThrow());
            assertEquals(2.0, s.metadata().number("hf.rope_scaling.factor").orElseThrow());
            assertEquals("linear", s.metadata().string("hf.rope_scaling.type").orElseThrow());
            assertFalse(s.metadata().contains("hf.sliding_window"), "nulls are left out");
        }
    }

    @Test
    void qwen2WithBiases() {
        HfModelBuilder b = with("architectures", List.of("Qwen2ForCausalLM"));
        int kv = KV_HEADS * DIM / HEADS;
        for (int l = 0; l < LAYERS; l++) {
            b.tensor("model.layers." + l + ".self_attn.q_proj.bias", new float[DIM], DIM);
            b.tensor("model.layers." + l + ".self_attn.k_proj.bias", new float[kv], kv);
            b.tensor("model.layers." + l + ".self_attn.v_proj.bias", new float[kv], kv);
        }
        try (HfWeightSource s = open(b)) {
            assertEquals("qwen2", s.config().orElseThrow().architecture());
            assertEquals("qwen2", s.metadata().string("general.architecture").orElseThrow());
            assertArrayEquals(new long[]{kv}, s.tensor("blk.1.attn_k.bias").orElseThrow().shape());
            assertEquals(12, s.layers().getFirst().tensors().size());
        }
        b.values.put("model.layers.0.self_attn.k_proj.bias", new float[kv + 1]);
        b.shapes.put("model.layers.0.self_attn.k_proj.bias", new long[]{kv + 1});
        broken(b, "model.layers.0.self_attn.k_proj.bias", "does not match config.json");
    }

    @Test
    void defaultsWhenOptionalKeysAreAbsent() {
        HfModelBuilder b = with("num_key_value_heads", null);
        b.config.remove("max_position_embeddings");
        b.config.remove("rms_norm_eps");
        b.config.remove("bos_token_id");
        b.config.remove("eos_token_id");
        b.config.remove("architectures"); // model_type names it
        int kv = DIM; // heads == kv heads now
        for (int l = 0; l < LAYERS; l++)
            for (String p : List.of("k_proj", "v_proj"))
                b.tensor("model.layers." + l + ".self_attn." + p + ".weight", new float[kv * DIM], kv, DIM);
        try (HfWeightSource s = open(b)) {
            ModelConfig c = s.config().orElseThrow();
            assertEquals(HEADS, c.kvHeads());
            assertEquals(2048, c.contextLength());
            assertEquals(1e-6f, c.normEps());
            assertEquals(10000f, c.ropeBase());
            assertEquals(-1, c.bosId());
            assertEquals(-1, c.eosId());
            assertEquals(0, s.metadata().integers("hf.eos_token_ids").orElseThrow().length);
        }
    }

    @Test
    void explicitHeadDim() {
        HfModelBuilder b = with("head_dim", 2);
        int q = HEADS * 2, kv = KV_HEADS * 2;
        Random r = new Random(1);
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".self_attn.";
            b.tensor(p + "q_proj.weight", new float[q * DIM], q, DIM);
            b.tensor(p + "k_proj.weight", new float[kv * DIM], kv, DIM);
            b.tensor(p + "v_proj.weight", new float[kv * DIM], kv, DIM);
            b.tensor(p + "o_proj.weight", new float[q * DIM], DIM, q);
        }
        try (HfWeightSource s = open(b)) {
            assertEquals(2, s.config().orElseThrow().headDim());
            assertEquals(2, s.config().orElseThrow().ropeDims());
        }
    }

    @Test
    void eosListTakesTheFirstAndGenerationConfigComesFirst() {
        HfModelBuilder b = with("eos_token_id", List.of(3, 4));
        try (HfWeightSource s = open(b)) {
            assertEquals(3, s.config().orElseThrow().eosId());
            assertArrayEquals(new long[]{3, 4}, s.metadata().integers("hf.eos_token_ids").orElseThrow());
            assertArrayEquals(new long[]{3, 4}, s.metadata().integers("hf.eos_token_id").orElseThrow());
        }
        b.generation = Map.of("eos_token_id", List.of(5, 3), "bos_token_id", 0, "do_sample", true);
        try (HfWeightSource s = open(b)) {
            assertEquals(5, s.config().orElseThrow().eosId());
            assertEquals(0, s.config().orElseThrow().bosId());
            assertArrayEquals(new long[]{5, 3, 4}, s.metadata().integers("hf.eos_token_ids").orElseThrow());
            assertEquals(true, s.metadata().bool("hf.generation.do_sample").orElseThrow());
        }
    }

    @Test
    void tiedEmbeddings() {
        HfModelBuilder b = with("tie_word_embeddings", true);
        try (HfWeightSource s = open(b)) {
            assertTrue(s.config().orElseThrow().tiedEmbeddings());
            assertTrue(s.tensor("output.weight").isEmpty(), "lm_head is ignored when tied, as transformers does");
        }
        b = with("tie_word_embeddings", null);
        b.values.remove("lm_head.weight");
        b.shapes.remove("lm_head.weight");
        try (HfWeightSource s = open(b)) {
            assertTrue(s.config().orElseThrow().tiedEmbeddings(), "no lm_head: tied");
        }
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> open(with("architectures", List.of("GPT2LMHeadModel"))));
        assertTrue(e.getMessage().contains("GPT2LMHeadModel") && e.getMessage().contains("LlamaForCausalLM")
                && e.getMessage().contains("MistralForCausalLM") && e.getMessage().contains("Qwen2ForCausalLM"), e.getMessage());
        assertThrows(UnsupportedModelException.class, () -> open(with("hidden_act", "gelu")));
        HfModelBuilder none = with("architectures", null);
        none.config.remove("model_type");
        broken(none, "architectures", "missing");
    }

    @Test
    void badNumbers() {
        broken(with("num_attention_heads", 0), "num_attention_heads", "not in 1..");
        broken(with("num_attention_heads", 3), "num_attention_heads", "do not divide hidden_size");
        broken(with("num_key_value_heads", 0), "num_key_value_heads", "not in 1..");
        broken(with("hidden_size", 1_000_000_000_000L), "hidden_size", "not in 1..");
        broken(with("hidden_size", "8"), "hidden_size", "must be an integer");
        broken(with("hidden_size", 8.5), "hidden_size", "must be an integer");
        broken(with("hidden_size", null), "hidden_size", "missing");
        broken(with("num_hidden_layers", 5000), "num_hidden_layers", "not in 1..");
        broken(with("intermediate_size", -16), "intermediate_size", "not in 1..");
        broken(with("rope_theta", -1), "rope_theta", "must be positive");
        broken(with("rms_norm_eps", "small"), "rms_norm_eps", "must be a number");
        broken(with("tie_word_embeddings", "yes"), "tie_word_embeddings", "expected true or false");
        broken(with("eos_token_id", -3), "eos_token_id", "expected a token id");
        broken(with("eos_token_id", List.of(2, "x")), "eos_token_id", "expected a token id");
        broken(with("eos_token_id", VOCAB), "eos_token_id", "outside the vocabulary");
    }

    @Test
    void configThatDisagreesWithTheTensors() {
        broken(with("vocab_size", VOCAB + 1), "vocab_size", "token embedding has " + VOCAB + " rows");
        broken(with("num_hidden_layers", LAYERS + 1), "num_hidden_layers", "weights hold " + LAYERS);
        ModelFormatException e = broken(with("intermediate_size", FFN * 2), "model.layers.0.mlp.gate_proj.weight",
                "shape [16, 8] does not match config.json, which implies [32, 8]");
        assertTrue(e.file().getFileName().toString().equals("model.safetensors") && e.offset() > 0, e.getMessage());
        HfModelBuilder missing = HfModelBuilder.tinyLlama();
        missing.values.remove("model.layers.1.mlp.up_proj.weight");
        missing.shapes.remove("model.layers.1.mlp.up_proj.weight");
        broken(missing, "blk.1.ffn_up.weight", "layer 1 lacks this tensor");
        HfModelBuilder extra = HfModelBuilder.tinyLlama();
        extra.tensor("model.layers.7.input_layernorm.weight", new float[DIM], DIM);
        broken(extra, "model.layers.7.input_layernorm.weight", "beyond num_hidden_layers");
    }

    @Test
    void configJsonThatIsNotJsonOrTooDeep() throws IOException {
        Path dir = HfModelBuilder.tinyLlama().write(tmp.resolve("bad"));
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 8,");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfWeightSource.open(dir));
        assertTrue(e.file().endsWith("config.json") && e.getMessage().contains("malformed JSON"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        e = assertThrows(ModelFormatException.class, () -> HfWeightSource.open(dir));
        assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), "[]");
        assertThrows(ModelFormatException.class, () -> HfWeightSource.open(dir));
        Files.writeString(dir.resolve("config.json"), "{\"a\":1,\"a\":2}");
        e = assertThrows(ModelFormatException.class, () -> HfWeightSource.open(dir));
        assertTrue(e.getMessage().contains("Duplicate"), e.getMessage());
    }
}
