package io.aircela.formats.safetensors;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HfTensorNamesTest {
    @Test
    void translatesEveryLlamaName() {
        assertEquals("token_embd.weight", HfTensorNames.toGguf("model.embed_tokens.weight"));
        assertEquals("output_norm.weight", HfTensorNames.toGguf("model.norm.weight"));
        assertEquals("output.weight", HfTensorNames.toGguf("lm_head.weight"));
        String p = "model.layers.12.";
        assertEquals("blk.12.attn_q.weight", HfTensorNames.toGguf(p + "self_attn.q_proj.weight"));
        assertEquals("blk.12.attn_k.bias", HfTensorNames.toGguf(p + "self_attn.k_proj.bias"));
        assertEquals("blk.12.attn_v.weight", HfTensorNames.toGguf(p + "self_attn.v_proj.weight"));
        assertEquals("blk.12.attn_output.weight", HfTensorNames.toGguf(p + "self_attn.o_proj.weight"));
        assertEquals("blk.12.ffn_gate.weight", HfTensorNames.toGguf(p + "mlp.gate_proj.weight"));
        assertEquals("blk.12.ffn_up.weight", HfTensorNames.toGguf(p + "mlp.up_proj.weight"));
        assertEquals("blk.12.ffn_down.weight", HfTensorNames.toGguf(p + "mlp.down_proj.weight"));
        assertEquals("blk.12.attn_norm.weight", HfTensorNames.toGguf(p + "input_layernorm.weight"));
        assertEquals("blk.12.ffn_norm.weight", HfTensorNames.toGguf(p + "post_attention_layernorm.weight"));
    }

    @Test
    void keepsUnknownNamesButStillFindsTheirLayer() {
        String inv = "model.layers.3.self_attn.rotary_emb.inv_freq";
        assertEquals(inv, HfTensorNames.toGguf(inv));
        assertEquals(3, HfTensorNames.layerOf(inv));
        assertEquals("model.layers.3.input_layernorm.scale", HfTensorNames.toGguf("model.layers.3.input_layernorm.scale"));
        assertEquals(7, HfTensorNames.layerOf("blk.7.attn_q.weight"));
        assertEquals(-1, HfTensorNames.layerOf("model.layers.01.x"), "leading zeros are not a layer number");
        assertEquals(-1, HfTensorNames.layerOf("model.layers.x.y"));
        assertEquals(-1, HfTensorNames.layerOf("model.layers.3"));
        assertEquals(-1, HfTensorNames.layerOf("model.layers.99999999999.x"), "no overflow");
        assertEquals(-1, HfTensorNames.layerOf("blk.\u0663.x"), "only ASCII digits");
        assertEquals("model.layers.99999999999.mlp.up_proj.weight",
                HfTensorNames.toGguf("model.layers.99999999999.mlp.up_proj.weight"));
        assertEquals(-1, HfTensorNames.layerOf("token_embd.weight"));
    }
}
