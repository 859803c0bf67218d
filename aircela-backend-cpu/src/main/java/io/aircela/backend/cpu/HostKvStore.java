package io.aircela.backend.cpu;

import io.aircela.compute.ComputeBackend;
import io.aircela.kv.KvSpec;
import io.aircela.kv.LayerBuffersKvStore;

/**
 * Keys and values per layer, each a zero-filled {@code (contextLength, kvDim)} buffer of the spec's type
 * (F32 or F16) allocated through the backend it serves. {@link #close()} frees them all; closing twice is
 * harmless; afterwards {@link #keys}/{@link #values} throw {@link IllegalStateException}. Not thread-safe
 * (used by the engine's one compute thread).
 */
public final class HostKvStore extends LayerBuffersKvStore {

    /** Allocates every layer now; on failure frees what was allocated and rethrows. */
    public HostKvStore(KvSpec spec, ComputeBackend backend) {
        super(spec);
        allocateAll(backend::allocate);
    }
}
