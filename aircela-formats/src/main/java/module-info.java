/** Adapters for model files (GGUF, HuggingFace safetensors folders) and the built-in quant formats. */
module io.aircela.formats {
    requires io.aircela.api;
    requires com.fasterxml.jackson.databind;

    exports io.aircela.formats.gguf;
    exports io.aircela.formats.quant;
    exports io.aircela.formats.safetensors;

    provides io.aircela.weights.WeightSourceProvider with
            io.aircela.formats.gguf.GgufWeightSourceProvider,
            io.aircela.formats.safetensors.HfFolderWeightSourceProvider;

    provides io.aircela.quant.DequantizerProvider with
            io.aircela.formats.quant.F32Dequantizer,
            io.aircela.formats.quant.F16Dequantizer,
            io.aircela.formats.quant.BF16Dequantizer,
            io.aircela.formats.quant.Q8_0Dequantizer,
            io.aircela.formats.quant.Q4_0Dequantizer,
            io.aircela.formats.quant.Q4_1Dequantizer,
            io.aircela.formats.quant.Q5_0Dequantizer,
            io.aircela.formats.quant.Q5_1Dequantizer,
            io.aircela.formats.quant.Q2_KDequantizer,
            io.aircela.formats.quant.Q3_KDequantizer,
            io.aircela.formats.quant.Q4_KDequantizer,
            io.aircela.formats.quant.Q5_KDequantizer,
            io.aircela.formats.quant.Q6_KDequantizer;
}
