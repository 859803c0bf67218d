package io.aircela.backend.cpu;

import io.aircela.compute.ComputeBackend;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;
import io.aircela.kv.KvStoreProvider;

/**
 * The default KV store ({@code "host"}): buffers from the backend's own {@code allocate}, so it fits any
 * backend (off-heap host memory on the CPU, device memory elsewhere). Scores low so that a store made for
 * a particular backend wins.
 */
public final class HostKvStoreProvider implements KvStoreProvider {
    @Override
    public String name() {
        return "host";
    }

    @Override
    public int probe(ComputeBackend backend) {
        return backend instanceof CpuBackend ? 10 : 1;
    }

    @Override
    public KvStore create(KvSpec spec, ComputeBackend backend) {
        return new HostKvStore(spec, backend);
    }
}
