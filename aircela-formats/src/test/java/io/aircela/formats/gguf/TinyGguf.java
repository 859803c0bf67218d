package io.aircela.formats.gguf;

import io.aircela.quant.QuantType;

/**
 * A tiny but complete model file (dim 4, 2 blocks, 2 heads / 1 KV head, ffn 8, vocab 6) built with
 * {@link GgufBuilder}: every derived-config check passes, so each test can break exactly one thing.
 * About 3 KB, so looping over every truncation point stays fast.
 */
final class TinyGguf {
    static final int DIM = 4, BLOCKS = 2, HEADS = 2, KV_HEADS = 1, FFN = 8, VOCAB = 6;

    private TinyGguf() {
    }

    static GgufBuilder llama(int version) {
        return model("llama", version);
    }

    static GgufBuilder model(String arch, int version) {
        GgufBuilder b = new GgufBuilder().version(version)
                .str("general.architecture", arch)
                .str("general.name", "tiny " + arch)
                .u32(arch + ".context_length", 64)
                .u32(arch + ".embedding_length", DIM)
                .u32(arch + ".block_count", BLOCKS)
                .u32(arch + ".feed_forward_length", FFN)
                .u32(arch + ".attention.head_count", HEADS)
                .u32(arch + ".attention.head_count_kv", KV_HEADS)
                .f32(arch + ".rope.freq_base", 10000f)
                .f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .str("tokenizer.ggml.model", "llama")
                .strings("tokenizer.ggml.tokens", "<unk>", "<s>", "</s>", "a", "b", "c")
                .f32s("tokenizer.ggml.scores", 0f, 0f, 0f, -1f, -2f, -3f)
                .i32s("tokenizer.ggml.token_type", 2, 3, 3, 1, 1, 1)
                .u32("tokenizer.ggml.bos_token_id", 1)
                .u32("tokenizer.ggml.eos_token_id", 2)
                .bool("tokenizer.ggml.add_bos_token", true);
        b.tensor("token_embd.weight", QuantType.F32, DIM, VOCAB);
        int headDim = DIM / HEADS;
        for (int l = 0; l < BLOCKS; l++) {
            String p = "blk." + l + ".";
            b.tensor(p + "attn_norm.weight", QuantType.F32, DIM)
                    .tensor(p + "attn_q.weight", QuantType.F32, DIM, DIM)
                    .tensor(p + "attn_k.weight", QuantType.F32, DIM, KV_HEADS * headDim)
                    .tensor(p + "attn_v.weight", QuantType.F32, DIM, KV_HEADS * headDim)
                    .tensor(p + "attn_output.weight", QuantType.F32, DIM, DIM)
                    .tensor(p + "ffn_norm.weight", QuantType.F32, DIM)
                    .tensor(p + "ffn_gate.weight", QuantType.F16, DIM, FFN)
                    .tensor(p + "ffn_up.weight", QuantType.F16, DIM, FFN)
                    .tensor(p + "ffn_down.weight", QuantType.F16, FFN, DIM);
        }
        b.tensor("output_norm.weight", QuantType.F32, DIM);
        b.tensor("output.weight", QuantType.F16, DIM, VOCAB);
        return b;
    }
}
