package io.aircela.formats.gguf;

import io.aircela.quant.QuantType;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.RopeStyle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import static io.aircela.formats.gguf.GgufRejects.ANY_OFFSET;
import static io.aircela.formats.gguf.GgufRejects.assertMentions;
import static io.aircela.formats.gguf.GgufRejects.rejects;
import static io.aircela.formats.gguf.TinyGguf.DIM;
import static io.aircela.formats.gguf.TinyGguf.VOCAB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config derived from {arch}.* keys, and metadata that contradicts the tensors. */
class GgufModelConfigTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("model.gguf");
    }

    private ModelConfig config(GgufBuilder b) {
        try (GgufWeightSource s = GgufWeightSource.open(b.write(file()))) {
            return s.config().orElseThrow();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral"})
    void llamaLikeArchitecturesUseNormalRope(String arch) {
        ModelConfig c = config(TinyGguf.model(arch, 3));
        assertEquals(new ModelConfig(arch, 64, DIM, 2, 2, 1, 2, 8, VOCAB, 10000f, 2, RopeStyle.NORMAL, 1e-5f, false, 1, 2), c);
    }

    @Test
    void qwen2UsesNeoxRope() {
        ModelConfig c = config(TinyGguf.model("qwen2", 3));
        assertEquals("qwen2", c.architecture());
        assertEquals(RopeStyle.NEOX, c.ropeStyle());
        assertEquals(1, c.kvHeads());
    }

    @Test
    void defaultsWhenOptionalKeysAreAbsent() {
        GgufBuilder b = TinyGguf.llama(3).remove("llama.attention.head_count_kv").remove("llama.rope.freq_base")
                .remove("llama.context_length").remove("tokenizer.ggml.bos_token_id").remove("output.weight");
        // without head_count_kv every head has its own K/V head, so the K/V projections must be full width
        b.remove("blk.0.attn_k.weight").remove("blk.0.attn_v.weight").remove("blk.1.attn_k.weight")
                .remove("blk.1.attn_v.weight");
        ModelConfig c = config(b);
        assertEquals(2, c.kvHeads());
        assertEquals(10000f, c.ropeBase());
        assertEquals(2048, c.contextLength());
        assertEquals(-1, c.bosId());
        assertTrue(c.tiedEmbeddings());
    }

    @Test
    void everyVersionYieldsTheSameModel() {
        ModelConfig v3 = config(TinyGguf.llama(3));
        for (int version : new int[]{1, 2}) {
            try (GgufWeightSource s = GgufWeightSource.open(TinyGguf.llama(version).write(file()));
                 GgufWeightSource r = GgufWeightSource.open(TinyGguf.llama(3).write(dir.resolve("v3.gguf")))) {
                assertEquals(version, s.version());
                assertEquals(v3, s.config().orElseThrow());
                assertEquals(List.copyOf(r.metadata().keys()), List.copyOf(s.metadata().keys()));
                for (String k : r.metadata().keys())
                    assertTrue(Objects.deepEquals(r.metadata().get(k).get(), s.metadata().get(k).get()), k);
                assertEquals(true, s.metadata().bool("tokenizer.ggml.add_bos_token").orElseThrow());
                for (int i = 0; i < r.tensors().size(); i++)
                    assertEquals(-1, r.view(r.tensors().get(i)).mismatch(s.view(s.tensors().get(i))));
            }
        }
    }

    @Test
    void headCountNotDividingTheWidth() {
        GgufBuilder b = TinyGguf.llama(3).remove("llama.attention.head_count").u32("llama.attention.head_count", 3)
                .remove("llama.attention.head_count_kv");
        assertMentions(rejects(file(), b, "llama.attention.head_count", b.mark("kv:llama.attention.head_count")),
                "does not divide");
    }

    @Test
    void kvHeadsNotDividingHeads() {
        GgufBuilder b = TinyGguf.llama(3).remove("llama.attention.head_count_kv").u32("llama.attention.head_count_kv", 3);
        rejects(file(), b, "llama.attention.head_count_kv", b.mark("kv:llama.attention.head_count_kv"));
    }

    @Test
    void embeddingRowsDifferFromTheTokenList() {
        GgufBuilder b = TinyGguf.llama(3).remove("tokenizer.ggml.tokens").strings("tokenizer.ggml.tokens", "a", "b");
        assertMentions(rejects(file(), b, "tokenizer.ggml.tokens", b.mark("kv:tokenizer.ggml.tokens")), "2 tokens", "6 rows");
    }

    @Test
    void vocabSizeKeyDisagreesWithTheEmbedding() {
        GgufBuilder b = TinyGguf.llama(3).u32("llama.vocab_size", 7);
        rejects(file(), b, "llama.vocab_size", b.mark("kv:llama.vocab_size"));
    }

    @Test
    void embeddingWidthDiffersFromEmbeddingLength() {
        GgufBuilder b = TinyGguf.llama(3).remove("token_embd.weight").tensor("token_embd.weight", QuantType.F32, 8, VOCAB);
        rejects(file(), b, "token_embd.weight", b.mark("data:token_embd.weight"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"})
    void specialTokenOutsideTheVocabulary(String key) {
        GgufBuilder b = TinyGguf.llama(3).remove(key).u32(key, VOCAB);
        assertMentions(rejects(file(), b, key, b.mark("kv:" + key)), "outside the vocabulary");
        b = TinyGguf.llama(3).remove(key).i32(key, -5);
        rejects(file(), b, key, b.mark("kv:" + key));
    }

    @Test
    void layerIndexBeyondTheBlockCount() {
        GgufBuilder b = TinyGguf.llama(3).tensor("blk.2.attn_norm.weight", QuantType.F32, DIM);
        assertMentions(rejects(file(), b, "blk.2.attn_norm.weight", b.mark("data:blk.2.attn_norm.weight")),
                "beyond block_count 2");
    }

    @Test
    void blockCountWithMissingLayers() {
        GgufBuilder b = TinyGguf.llama(3).remove("llama.block_count").u32("llama.block_count", 3);
        assertMentions(rejects(file(), b, "llama.block_count", b.mark("kv:llama.block_count")), "missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
            "llama.attention.head_count"})
    void missingRequiredKey(String key) {
        assertMentions(rejects(file(), TinyGguf.llama(3).remove(key), key, -1), "missing");
    }

    @Test
    void missingArchitectureOrEmbedding() {
        rejects(file(), TinyGguf.llama(3).remove("general.architecture"), "general.architecture", -1);
        rejects(file(), TinyGguf.llama(3).remove("token_embd.weight"), "token_embd.weight", -1);
        GgufBuilder b = TinyGguf.llama(3).remove("general.architecture").u32("general.architecture", 1);
        rejects(file(), b, "general.architecture", b.mark("kv:general.architecture"));
    }

    @Test
    void requiredKeyOfTheWrongTypeOrRange() {
        GgufBuilder b = TinyGguf.llama(3).remove("llama.embedding_length").str("llama.embedding_length", "4");
        assertMentions(rejects(file(), b, "llama.embedding_length", b.mark("kv:llama.embedding_length")), "integer");
        b = TinyGguf.llama(3).remove("llama.block_count").u64("llama.block_count", 0);
        rejects(file(), b, "llama.block_count", b.mark("kv:llama.block_count"));
        b = TinyGguf.llama(3).remove("llama.attention.layer_norm_rms_epsilon")
                .f32("llama.attention.layer_norm_rms_epsilon", Float.NaN);
        rejects(file(), b, "llama.attention.layer_norm_rms_epsilon", ANY_OFFSET);
        b = TinyGguf.llama(3).remove("llama.rope.freq_base").f32("llama.rope.freq_base", -1f);
        rejects(file(), b, "llama.rope.freq_base", ANY_OFFSET);
        b = TinyGguf.llama(3).u32("llama.rope.dimension_count", 3);
        rejects(file(), b, "llama.rope.dimension_count", ANY_OFFSET);
    }

    @Test
    void projectionShapeContradictsTheHeadCounts() {
        GgufBuilder b = TinyGguf.llama(3).remove("blk.1.attn_k.weight").tensor("blk.1.attn_k.weight", QuantType.F32, DIM, DIM);
        assertMentions(rejects(file(), b, "blk.1.attn_k.weight", b.mark("data:blk.1.attn_k.weight")), "[4, 4]", "[4, 2]");
        b = TinyGguf.llama(3).remove("output.weight").tensor("output.weight", QuantType.F32, DIM, VOCAB + 1);
        rejects(file(), b, "output.weight", b.mark("data:output.weight"));
    }
}
