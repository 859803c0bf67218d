package io.aircela.formats.gguf;

import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.Metadata;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.RopeStyle;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reader on the real and synthetic model files in the shared test data. */
class GgufRealFilesTest {

    @Test
    void v1AndV3OfStoriesHoldIdenticalMetadataAndTensorBytes() {
        try (GgufWeightSource v1 = GgufWeightSource.open(SharedTestData.require("models/stories260k-v1.gguf"));
             GgufWeightSource v3 = GgufWeightSource.open(SharedTestData.require("models/stories260k.gguf"))) {
            assertEquals(1, v1.version());
            assertEquals(3, v3.version());
            assertEquals("GGUF v1", v1.format());
            assertEquals(List.copyOf(v3.metadata().keys()), List.copyOf(v1.metadata().keys()));
            for (String key : v3.metadata().keys()) {
                Object a = v1.metadata().get(key).orElseThrow(), b = v3.metadata().get(key).orElseThrow();
                assertEquals(b.getClass(), a.getClass(), key);
                assertTrue(Objects.deepEquals(a, b), "metadata " + key + " differs between v1 and v3");
            }
            assertEquals(48, v3.tensors().size());
            assertEquals(v3.tensors().size(), v1.tensors().size());
            for (int i = 0; i < v3.tensors().size(); i++) {
                TensorInfo a = v1.tensors().get(i), b = v3.tensors().get(i);
                assertEquals(b.name(), a.name());
                assertEquals(b.type(), a.type());
                assertArrayEquals(b.shape(), a.shape());
                // the v1 header is shorter, so only the data offsets differ
                assertEquals(b.offset() - v3.dataStart(), a.offset() - v1.dataStart(), b.name());
                assertEquals(-1, v1.view(a).mismatch(v3.view(b)), "tensor bytes of " + b.name() + " differ");
            }
            assertEquals(v3.config(), v1.config());
        }
    }

    @Test
    void storiesMetadataIsTyped() {
        try (GgufWeightSource s = GgufWeightSource.open(SharedTestData.require("models/stories260k.gguf"))) {
            Metadata md = s.metadata();
            assertEquals("llama", md.string("general.architecture").orElseThrow());
            assertEquals("tinyllamas-stories-260k", md.string("general.name").orElseThrow());
            assertEquals(64L, md.integer("llama.embedding_length").orElseThrow());
            assertInstanceOf(Float.class, md.get("llama.attention.layer_norm_rms_epsilon").orElseThrow());
            String[] tokens = md.strings("tokenizer.ggml.tokens").orElseThrow();
            assertEquals(512, tokens.length);
            assertEquals("<s>", tokens[1]);
            assertEquals(512, md.floats("tokenizer.ggml.scores").orElseThrow().length);
            long[] types = md.integers("tokenizer.ggml.token_type").orElseThrow();
            assertEquals(List.of(2L, 3L, 3L, 6L), List.of(types[0], types[1], types[2], types[3]));
            assertEquals(18, md.keys().size());
        }
    }

    @Test
    void storiesConfigLayersAndTensorTable() {
        try (GgufWeightSource s = GgufWeightSource.open(SharedTestData.require("models/stories260k.gguf"))) {
            ModelConfig c = s.config().orElseThrow();
            assertEquals(new ModelConfig("llama", 512, 64, 5, 8, 4, 8, 172, 512, 10000f, 8, RopeStyle.NORMAL,
                    9.999999747378752e-06f, false, 1, 2), c);
            assertEquals(32, c.kvDim());
            assertEquals(2, c.groupSize());
            assertEquals(14144, s.dataStart());
            TensorInfo embd = s.tensor("token_embd.weight").orElseThrow();
            assertEquals(QuantType.F32, embd.type());
            assertArrayEquals(new long[]{64, 512}, embd.shape());
            assertEquals(s.dataStart(), embd.offset());
            assertEquals(64 * 512 * 4, embd.byteSize());
            assertEquals(-1, embd.layer());
            assertEquals(5, s.layers().size());
            long total = 0;
            for (LayerInfo l : s.layers()) {
                assertEquals(9, l.tensors().size());
                assertEquals(181760, l.byteSize()); // 2*64*64*4 + 2*64*32*4 + 3*64*172*4 + 2*64*4
                assertEquals(l.byteSize(), l.endByte() - l.firstByte(), "F32 tensors of a layer are contiguous");
                assertNotNull(l.tensor("attn_k.weight"));
                assertArrayEquals(new long[]{64, 32}, l.tensor("attn_k.weight").shape());
                total += l.byteSize();
            }
            assertEquals(14144 + 131072, s.layers().getFirst().firstByte());
            assertEquals(5 * 181760, total);
            assertNull(s.layers().getFirst().tensor("no_such.weight"));
        }
    }

    @Test
    void qwen2ConfigUsesNeoxRopeAndTwoKvHeads() {
        try (GgufWeightSource s = GgufWeightSource.open(SharedTestData.require("models/synth/tiny-qwen2-q8_0.gguf"))) {
            ModelConfig c = s.config().orElseThrow();
            assertEquals("qwen2", c.architecture());
            assertEquals(RopeStyle.NEOX, c.ropeStyle());
            assertEquals(2, c.kvHeads());
            assertEquals(8, c.heads());
            assertEquals(256, c.dim());
            assertEquals(32, c.headDim());
            assertEquals(64, c.kvDim());
            assertEquals(2, c.layers());
            assertEquals(768, c.ffnDim());
            assertEquals(512, c.vocabSize());
            assertEquals(1_000_000f, c.ropeBase());
            assertEquals(QuantType.Q8_0, s.tensor("blk.0.attn_q.weight").orElseThrow().type());
            assertEquals(QuantType.F32, s.tensor("blk.0.attn_q.bias").orElseThrow().type());
            assertEquals(12, s.layers().getFirst().tensors().size(), "7 projections, 2 norms and 3 q/k/v biases per qwen2 block");
            assertEquals(256 * 256 / 32 * 34, s.tensor("blk.1.attn_q.weight").orElseThrow().byteSize());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k",
            "q5_k", "q6_k", "iq4_nl"})
    void everySyntheticTypeOpensWithItsType(String type) {
        try (GgufWeightSource s = GgufWeightSource.open(SharedTestData.require("models/synth/tiny-" + type + ".gguf"))) {
            ModelConfig c = s.config().orElseThrow();
            assertEquals(256, c.dim());
            assertEquals(4, c.kvHeads());
            assertEquals(QuantType.byName(type).orElseThrow(), s.tensor("blk.1.ffn_down.weight").orElseThrow().type());
            assertEquals(QuantType.F32, s.tensor("blk.1.ffn_norm.weight").orElseThrow().type());
        }
    }

    @Test
    void llama2TinyRandomHasTheFullVocabulary() {
        try (GgufWeightSource s = GgufWeightSource.open(SharedTestData.require("models/llama-2-tiny-random.gguf"))) {
            ModelConfig c = s.config().orElseThrow();
            assertEquals(32000, c.vocabSize());
            assertEquals(8, c.dim());
            assertEquals(4, c.headDim());
            assertFalse(c.tiedEmbeddings(), "this file has its own output head");
            assertArrayEquals(new long[]{8, 32000}, s.tensor("output.weight").orElseThrow().shape());
            assertEquals(QuantType.F16, s.tensor("blk.0.attn_q.weight").orElseThrow().type());
        }
    }

    @Test
    void llama3VocabularyModelHasLargeTokenAndMergeArrays() {
        try (GgufWeightSource s = GgufWeightSource.open(SharedTestData.require("models/synth/tiny-llama3vocab-q8_0.gguf"))) {
            ModelConfig c = s.config().orElseThrow();
            assertEquals(128256, c.vocabSize());
            assertEquals(500000f, c.ropeBase());
            assertEquals(16, c.headDim());
            assertEquals(128000, c.bosId());
            assertEquals(128001, c.eosId());
            assertEquals(280147, s.metadata().strings("tokenizer.ggml.merges").orElseThrow().length);
            assertEquals("llama-bpe", s.metadata().string("tokenizer.ggml.pre").orElseThrow());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2"})
    void vocabularyOnlyFilesHaveNoConfigButReadableMetadata(String name) {
        try (GgufWeightSource s = GgufWeightSource.open(SharedTestData.require("models/vocab/ggml-vocab-" + name + ".gguf"))) {
            assertTrue(s.config().isEmpty());
            assertTrue(s.tensors().isEmpty());
            assertTrue(s.layers().isEmpty());
            assertTrue(s.metadata().string("tokenizer.ggml.model").isPresent());
            String[] tokens = s.metadata().strings("tokenizer.ggml.tokens").orElseThrow();
            assertTrue(tokens.length >= 32000, name + " has " + tokens.length + " tokens");
            assertFalse(tokens[tokens.length - 1].isEmpty());
        }
    }

    @Test
    void providerRecognizesGgufByMagicAndOpensIt() {
        Path stories = SharedTestData.require("models/stories260k.gguf");
        GgufWeightSourceProvider p = new GgufWeightSourceProvider();
        assertEquals("gguf", p.name());
        assertEquals(100, p.probe(stories));
        assertEquals(0, p.probe(stories.getParent()), "a folder is not a GGUF file");
        assertEquals(0, p.probe(SharedTestData.require("models/README.md")));
        try (WeightSource s = Providers.open(stories)) {
            assertInstanceOf(GgufWeightSource.class, s);
            assertEquals("GGUF v3", s.format());
            assertEquals(stories, s.path());
        }
    }
}
