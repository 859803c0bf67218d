/** The CPU compute backend: Vector API kernels over FFM memory, a scalar twin for each. */
module io.aircela.backend.cpu {
    requires io.aircela.api;
    requires jdk.incubator.vector;

    exports io.aircela.backend.cpu;

    provides io.aircela.compute.ComputeBackendProvider with io.aircela.backend.cpu.CpuBackendProvider;
    provides io.aircela.kv.KvStoreProvider with io.aircela.backend.cpu.HostKvStoreProvider;
}
