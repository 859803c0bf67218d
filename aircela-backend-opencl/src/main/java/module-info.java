/**
 * The OpenCL compute backend (JOCL): weights uploaded as raw quantized bytes and decoded in kernels,
 * activations and the KV cache in device memory. JOCL is an automatic module ({@code jocl}).
 */
@SuppressWarnings("requires-automatic") // JOCL's jar has no module descriptor: it is the automatic module 'jocl'
module io.aircela.backend.opencl {
    requires io.aircela.api;
    requires jocl;

    exports io.aircela.backend.opencl;

    provides io.aircela.compute.ComputeBackendProvider with io.aircela.backend.opencl.OpenClBackendProvider;
    provides io.aircela.kv.KvStoreProvider with io.aircela.backend.opencl.OpenClKvStoreProvider;
}
