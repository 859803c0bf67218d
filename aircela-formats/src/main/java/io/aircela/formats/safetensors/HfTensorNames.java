package io.aircela.formats.safetensors;

import java.util.Map;

/**
 * Translates HuggingFace tensor names (Llama, Mistral and Qwen2 spelling) to GGUF's, so the engine
 * has one code path for both formats. Names it does not know are kept as they are; those under
 * {@code model.layers.N.} still belong to layer N (so streaming a layer moves all of its bytes).
 */
final class HfTensorNames {
    private static final String LAYER_PREFIX = "model.layers.";
    private static final int MAX_LAYER = 1_000_000;

    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    /** Suffix after {@code model.layers.N.} (without .weight/.bias) to GGUF's suffix after {@code blk.N.}. */
    private static final Map<String, String> PER_LAYER = Map.ofEntries(
            Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("mlp.gate_proj", "ffn_gate"),
            Map.entry("mlp.up_proj", "ffn_up"),
            Map.entry("mlp.down_proj", "ffn_down"),
            Map.entry("input_layernorm", "attn_norm"),
            Map.entry("post_attention_layernorm", "ffn_norm"));

    private HfTensorNames() {
    }

    /** GGUF's name for an HF tensor name, or the name itself when it has no counterpart. */
    static String toGguf(String hf) {
        String global = GLOBAL.get(hf);
        if (global != null) return global;
        int layer = layerNumber(hf, LAYER_PREFIX);
        if (layer < 0) return hf;
        String rest = hf.substring(hf.indexOf('.', LAYER_PREFIX.length()) + 1);
        int dot = rest.lastIndexOf('.');
        if (dot < 0) return hf;
        String kind = rest.substring(dot + 1);
        String gguf = PER_LAYER.get(rest.substring(0, dot));
        if (gguf == null || !(kind.equals("weight") || kind.equals("bias"))) return hf;
        return "blk." + layer + "." + gguf + "." + kind;
    }

    /** The layer a (translated or kept) name belongs to: N of {@code blk.N.} or {@code model.layers.N.}, else -1. */
    static int layerOf(String name) {
        int n = layerNumber(name, "blk.");
        return n >= 0 ? n : layerNumber(name, LAYER_PREFIX);
    }

    /** N when {@code name} is {@code prefix + N + "." + more} with N plain decimal digits, else -1. */
    private static int layerNumber(String name, String prefix) {
        if (!name.startsWith(prefix)) return -1;
        int i = prefix.length(), n = 0, digits = 0;
        while (i < name.length() && name.charAt(i) >= '0' && name.charAt(i) <= '9') {
            n = n * 10 + (name.charAt(i++) - '0');
            if (++digits > 7 || n > MAX_LAYER) return -1;
        }
        boolean leadingZero = digits > 1 && name.charAt(prefix.length()) == '0';
        if (digits == 0 || leadingZero || i + 1 >= name.length() || name.charAt(i) != '.') return -1;
        return n;
    }
}
