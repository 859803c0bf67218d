package io.aircela.formats.safetensors;

import io.aircela.formats.gguf.GgufWeightSource;
import io.aircela.provider.Providers;
import io.aircela.quant.Fp16;
import io.aircela.quant.QuantType;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.RopeStyle;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The synthetic Llama GGUF (dim 256, 2 layers, 8 heads / 4 KV heads) written back as an HF folder —
 * HF names, outermost-first shapes, q/k un-permuted to rotate-half order — reads back as the GGUF file:
 * same names, shapes, values (after permuting q/k again) and config (but NEOX rope).
 */
class HfFromGgufRoundTripTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    static Path tmp;
    static Path gguf;

    @BeforeAll
    static void locate() {
        gguf = SharedTestData.require("models/synth/tiny-f32.gguf");
    }

    @Test
    void singleFileMatchesTheGgufTensorForTensor() {
        check(tmp.resolve("single"), 1).close();
    }

    @Test
    void shardedFolderMatchesTheGgufTensorForTensor() {
        try (HfWeightSource hf = check(tmp.resolve("sharded"), 3)) {
            assertEquals("HF safetensors (3 shards)", hf.format());
            assertEquals(3, hf.files().size());
            Set<Path> used = new HashSet<>();
            for (TensorInfo t : hf.tensors()) used.add(hf.file(t));
            assertEquals(3, used.size(), "tensors spread over every shard");
        }
    }

    @Test
    void providersOpenTheFolderWithTheSafetensorsReader() {
        Path dir = tmp.resolve("viaProviders");
        try (GgufWeightSource g = GgufWeightSource.open(gguf)) {
            HfModelBuilder.fromGguf(g).write(dir);
        }
        try (WeightSource s = Providers.open(dir)) {
            assertInstanceOf(HfWeightSource.class, s);
            assertEquals("llama", s.metadata().string("general.architecture").orElseThrow());
            assertEquals("LlamaForCausalLM", s.metadata().string("hf.architecture").orElseThrow());
        }
    }

    @Test
    void f16AndBf16StoreTheRoundedValues() {
        for (String dtype : List.of("F16", "BF16")) {
            Path dir = tmp.resolve(dtype);
            HfModelBuilder b;
            try (GgufWeightSource g = GgufWeightSource.open(gguf)) {
                b = HfModelBuilder.fromGguf(g).dtype(dtype).shards(2);
            }
            b.write(dir);
            try (HfWeightSource hf = HfWeightSource.open(dir)) {
                QuantType type = QuantType.valueOf(dtype);
                assertEquals(b.values.size(), hf.tensors().size());
                for (TensorInfo t : hf.tensors()) {
                    assertEquals(type, t.type(), t.name());
                    assertEquals(t.elements() * 2, t.byteSize());
                    float[] want = b.values.get(hf.storedName(t));
                    short[] bits = new short[want.length];
                    for (int i = 0; i < want.length; i++)
                        bits[i] = dtype.equals("F16") ? Fp16.fromFloat(want[i]) : Fp16.floatToBf16(want[i]);
                    assertArrayEquals(bits, hf.view(t).toArray(I16), t.name());
                }
            }
        }
    }

    private static HfWeightSource check(Path dir, int shards) {
        try (GgufWeightSource g = GgufWeightSource.open(gguf)) {
            HfModelBuilder.fromGguf(g).shards(shards).write(dir);
            HfWeightSource hf = HfWeightSource.open(dir);
            ModelConfig c = g.config().orElseThrow();
            assertEquals(RopeStyle.NORMAL, c.ropeStyle());
            assertEquals(new ModelConfig(c.architecture(), c.contextLength(), c.dim(), c.layers(), c.heads(), c.kvHeads(),
                    c.headDim(), c.ffnDim(), c.vocabSize(), c.ropeBase(), c.ropeDims(), RopeStyle.NEOX, c.normEps(),
                    c.tiedEmbeddings(), c.bosId(), c.eosId()), hf.config().orElseThrow());
            assertEquals(g.tensors().size(), hf.tensors().size());
            for (TensorInfo gt : g.tensors()) {
                TensorInfo ht = hf.tensor(gt.name()).orElseThrow(() -> new AssertionError("missing " + gt.name()));
                assertArrayEquals(gt.shape(), ht.shape(), gt.name());
                assertEquals(QuantType.F32, ht.type());
                assertEquals(gt.layer(), ht.layer(), gt.name());
                float[] hv = hf.view(ht).toArray(F32);
                int rows = (int) ht.rows(), cols = (int) ht.cols();
                if (gt.name().endsWith("attn_q.weight")) hv = QkPermutation.hfToGguf(hv, rows, cols, c.heads());
                if (gt.name().endsWith("attn_k.weight")) hv = QkPermutation.hfToGguf(hv, rows, cols, c.kvHeads());
                assertArrayEquals(g.view(gt).toArray(F32), hv, gt.name());
            }
            assertEquals(g.layers().size(), hf.layers().size());
            for (int i = 0; i < g.layers().size(); i++) assertEquals(names(g.layers().get(i)), names(hf.layers().get(i)));
            return hf;
        }
    }

    private static Set<String> names(LayerInfo l) {
        Set<String> out = new HashSet<>();
        for (TensorInfo t : l.tensors()) out.add(t.name());
        return out;
    }
}
