/** Adapters for model files (GGUF) and the built-in quant formats. */
module io.aircela.formats {
    requires io.aircela.api;

    exports io.aircela.formats.gguf;
    exports io.aircela.formats.quant;

    provides io.aircela.weights.WeightSourceProvider with io.aircela.formats.gguf.GgufWeightSourceProvider;

    provides io.aircela.quant.DequantizerProvider with
            io.aircela.formats.quant.F32Dequantizer;
}
