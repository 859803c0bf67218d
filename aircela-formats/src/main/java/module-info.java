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
            io.aircela.formats.quant.F32Dequantizer;
}
