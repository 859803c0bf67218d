package io.aircela.engine.reference;

import io.aircela.compute.ComputeBackend;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;
import io.aircela.kv.KvStoreProvider;

/** Test-only KV store provider that serves only the {@link ReferenceBackend}. */
public final class ReferenceKvStoreProvider implements KvStoreProvider {
    public String name() {
        return "reference";
    }

    public int probe(ComputeBackend backend) {
        return backend instanceof ReferenceBackend ? 100 : 0;
    }

    public KvStore create(KvSpec spec, ComputeBackend backend) {
        return new ReferenceKvStore(spec, backend);
    }
}
