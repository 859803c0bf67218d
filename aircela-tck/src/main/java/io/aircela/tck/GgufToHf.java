package io.aircela.tck;

import io.aircela.provider.Providers;
import io.aircela.quant.Fp16;
import io.aircela.quant.QuantType;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.RopeStyle;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF model as the HF folder {@code transformers} would save: HF tensor names, shapes outermost
 * first, q/k rows back in rotate-half order for {@code llama} GGUFs (llama.cpp's converter permutes only
 * those; qwen2 files keep HF's order), a {@code config.json}, and {@code model.safetensors} or shards plus
 * {@code model.safetensors.index.json}. Quantized GGUF weights are dequantized; F16/BF16 values convert
 * to and from float exactly, so an F16 GGUF written as F16 keeps every bit. A test fixture for every module
 * (HF-folder equivalence tests in the engine, the CLI); stateless and thread-safe.
 */
public final class GgufToHf {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgufToHf() {
    }

    /**
     * Writes {@code gguf} into {@code dir} (created) with every tensor stored as {@code dtype} ("F32", "F16",
     * "BF16") in {@code shards} files; returns {@code dir}.
     */
    public static Path write(WeightSource gguf, Path dir, String dtype, int shards) {
        ModelConfig c = gguf.config().orElseThrow();
        boolean permuted = c.ropeStyle() == RopeStyle.NORMAL;
        Map<String, byte[]> data = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (TensorInfo t : gguf.tensors()) {
            float[] v = floats(gguf, t);
            int rows = (int) t.rows(), cols = (int) t.cols();
            if (permuted && t.name().contains("attn_q.")) v = ggufToHf(v, rows, cols, c.heads());
            if (permuted && t.name().contains("attn_k.")) v = ggufToHf(v, rows, cols, c.kvHeads());
            long[] shape = t.shape().clone();
            for (int i = 0, j = shape.length - 1; i < j; i++, j--) {
                long x = shape[i];
                shape[i] = shape[j];
                shape[j] = x;
            }
            data.put(hfName(t.name()), encode(dtype, v));
            shapes.put(hfName(t.name()), shape);
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), json(config(c, dtype)));
            writeWeights(dir, dtype, data, shapes, shards);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Copies the HF tokenizer files of {@code from} (tokenizer.json, tokenizer_config.json, ...) into {@code dir}. */
    public static void copyTokenizer(Path from, Path dir) {
        try {
            for (String name : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"))
                if (Files.exists(from.resolve(name))) Files.copy(from.resolve(name), dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] floats(WeightSource src, TensorInfo t) {
        var seg = src.view(t);
        if (t.type() == QuantType.F32) return seg.toArray(F32);
        if (t.type() == QuantType.F16 || t.type() == QuantType.BF16) {
            short[] bits = seg.toArray(I16);
            float[] out = new float[bits.length];
            for (int i = 0; i < bits.length; i++)
                out[i] = t.type() == QuantType.F16 ? Fp16.toFloat(bits[i]) : Fp16.bf16ToFloat(bits[i]);
            return out;
        }
        float[] out = new float[Math.toIntExact(t.elements())];
        Providers.dequantizer(t.type().name()).dequantize(seg, 0, out, 0, out.length);
        return out;
    }

    private static Map<String, Object> config(ModelConfig c, String dtype) {
        boolean qwen2 = c.architecture().equals("qwen2");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
        m.put("model_type", qwen2 ? "qwen2" : "llama");
        m.put("hidden_size", c.dim());
        m.put("num_hidden_layers", c.layers());
        m.put("num_attention_heads", c.heads());
        m.put("num_key_value_heads", c.kvHeads());
        m.put("intermediate_size", c.ffnDim());
        m.put("vocab_size", c.vocabSize());
        m.put("max_position_embeddings", c.contextLength());
        m.put("rope_theta", (double) c.ropeBase());
        m.put("rms_norm_eps", (double) c.normEps());
        m.put("tie_word_embeddings", c.tiedEmbeddings());
        m.put("hidden_act", "silu");
        m.put("torch_dtype", switch (dtype) { case "F16" -> "float16"; case "BF16" -> "bfloat16"; default -> "float32"; });
        if (c.bosId() >= 0) m.put("bos_token_id", c.bosId());
        if (c.eosId() >= 0) m.put("eos_token_id", c.eosId());
        return m;
    }

    private static void writeWeights(Path dir, String dtype, Map<String, byte[]> data, Map<String, long[]> shapes,
                                     int shards) throws IOException {
        List<String> names = new ArrayList<>(data.keySet());
        if (shards == 1) {
            safetensors(dir.resolve("model.safetensors"), dtype, names, data, shapes);
            return;
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        int per = (names.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<String> part = names.subList(Math.min(names.size(), s * per), Math.min(names.size(), (s + 1) * per));
            safetensors(dir.resolve(file), dtype, part, data, shapes);
            for (String n : part) weightMap.put(n, file);
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                json(Map.of("metadata", Map.of("total_size", 0), "weight_map", weightMap)));
    }

    /** One .safetensors file: u64 header length, JSON header (space-padded to 8), packed data. */
    private static void safetensors(Path file, String dtype, List<String> names, Map<String, byte[]> data,
                                    Map<String, long[]> shapes) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long at = 0;
        for (String n : names) {
            header.put(n, Map.of("dtype", dtype, "shape", shapes.get(n), "data_offsets", List.of(at, at + data.get(n).length)));
            at += data.get(n).length;
        }
        byte[] json = json(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(json);
            out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
            for (String n : names) out.write(data.get(n));
        }
    }

    /**
     * Within each head of width {@code hd}, GGUF row {@code 2i + j} is HF row {@code j * hd/2 + i}: the inverse of
     * llama.cpp's {@code permute} in {@code convert_hf_to_gguf.py}.
     */
    static float[] ggufToHf(float[] w, int rows, int cols, int heads) {
        int hd = rows / heads, half = hd / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    System.arraycopy(w, (h * hd + 2 * i + j) * cols, out, (h * hd + j * half + i) * cols, cols);
        return out;
    }

    /** JSON text of maps, lists, strings, numbers, booleans and long arrays (all this writer needs). */
    static String json(Object v) {
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            m.forEach((k, x) -> sb.append(sb.length() > 1 ? "," : "").append(json(k)).append(':').append(json(x)));
            return sb.append('}').toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (Object x : l) sb.append(sb.length() > 1 ? "," : "").append(json(x));
            return sb.append(']').toString();
        }
        if (v instanceof long[] a) {
            StringBuilder sb = new StringBuilder("[");
            for (long x : a) sb.append(sb.length() > 1 ? "," : "").append(x);
            return sb.append(']').toString();
        }
        if (v instanceof String s) return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        return String.valueOf(v);
    }

    private static byte[] encode(String dtype, float[] values) {
        int width = dtype.equals("F32") ? 4 : 2;
        ByteBuffer b = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values)
            switch (dtype) {
                case "F32" -> b.putFloat(v);
                case "F16" -> b.putShort(Fp16.fromFloat(v));
                case "BF16" -> b.putShort(Fp16.floatToBf16(v));
                default -> throw new IllegalArgumentException(dtype);
            }
        return b.array();
    }

    /** GGUF's tensor name to HF's (the inverse of the safetensors reader's translation). */
    public static String hfName(String gguf) {
        switch (gguf) {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
            default:
        }
        String[] p = gguf.split("\\.", 3); // blk, N, rest
        String rest = p[2].replace("attn_q.", "self_attn.q_proj.").replace("attn_k.", "self_attn.k_proj.")
                .replace("attn_v.", "self_attn.v_proj.").replace("attn_output.", "self_attn.o_proj.")
                .replace("ffn_gate.", "mlp.gate_proj.").replace("ffn_up.", "mlp.up_proj.")
                .replace("ffn_down.", "mlp.down_proj.").replace("attn_norm.", "input_layernorm.")
                .replace("ffn_norm.", "post_attention_layernorm.");
        return "model.layers." + p[1] + "." + rest;
    }
}
