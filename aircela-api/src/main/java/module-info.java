/**
 * AirCELA's ports and domain types. Requires nothing but {@code java.base}.
 *
 * <p>Four ports, each with a provider discovered through {@link java.util.ServiceLoader}:
 * {@link io.aircela.weights.WeightSource}, {@link io.aircela.quant.Dequantizer},
 * {@link io.aircela.compute.ComputeBackend} and {@link io.aircela.kv.KvStore}.
 * {@link io.aircela.provider.Providers} applies the one selection rule.
 */
module io.aircela.api {
    exports io.aircela;
    exports io.aircela.weights;
    exports io.aircela.quant;
    exports io.aircela.compute;
    exports io.aircela.kv;
    exports io.aircela.provider;

    uses io.aircela.weights.WeightSourceProvider;
    uses io.aircela.quant.DequantizerProvider;
    uses io.aircela.compute.ComputeBackendProvider;
    uses io.aircela.kv.KvStoreProvider;
}
