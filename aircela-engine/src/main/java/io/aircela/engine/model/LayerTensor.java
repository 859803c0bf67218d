package io.aircela.engine.model;

/**
 * The tensors of one transformer block, named as GGUF names them ({@code blk.N.<suffix>}).
 * Shapes are row-major {@code (rows, cols)} = ggml {@code [cols, rows]}; {@code q = heads * headDim},
 * {@code kv = kvHeads * headDim}.
 */
public enum LayerTensor {
    /** RMSNorm weight before attention, {@code (dim)}. */
    ATTN_NORM("attn_norm.weight"),
    /** Query projection, {@code (q, dim)}. */
    ATTN_Q("attn_q.weight"),
    /** Key projection, {@code (kv, dim)}. */
    ATTN_K("attn_k.weight"),
    /** Value projection, {@code (kv, dim)}. */
    ATTN_V("attn_v.weight"),
    /** Query bias, {@code (q)} (qwen2). */
    ATTN_Q_BIAS("attn_q.bias"),
    /** Key bias, {@code (kv)} (qwen2). */
    ATTN_K_BIAS("attn_k.bias"),
    /** Value bias, {@code (kv)} (qwen2). */
    ATTN_V_BIAS("attn_v.bias"),
    /** Attention output projection, {@code (dim, q)}. */
    ATTN_OUTPUT("attn_output.weight"),
    /** RMSNorm weight before the feed-forward network, {@code (dim)}. */
    FFN_NORM("ffn_norm.weight"),
    /** SwiGLU gate projection, {@code (ffn, dim)}. */
    FFN_GATE("ffn_gate.weight"),
    /** SwiGLU up projection, {@code (ffn, dim)}. */
    FFN_UP("ffn_up.weight"),
    /** Feed-forward down projection, {@code (dim, ffn)}. */
    FFN_DOWN("ffn_down.weight");

    private final String suffix;

    LayerTensor(String suffix) {
        this.suffix = suffix;
    }

    /** The name after {@code blk.N.}, e.g. {@code attn_q.weight}. */
    public String suffix() {
        return suffix;
    }

    /** The full tensor name in layer {@code layer}. */
    public String nameIn(int layer) {
        return "blk." + layer + "." + suffix;
    }
}
