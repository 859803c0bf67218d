package io.aircela.backend.opencl;

import io.aircela.BackendException;
import io.aircela.kv.KvSpec;
import io.aircela.kv.LayerBuffersKvStore;

/**
 * Keys and values per layer, each a zero-filled {@code (contextLength, kvDim)} buffer of the spec's type (F32 or
 * F16). They go to device memory when the whole cache fits in what the backend may still allocate; otherwise
 * (or when a device allocation fails) every layer goes to host memory the device reads over the bus
 * ({@link OpenClBackend#allocateInHostMemory}): slower attention, but the model still runs. {@link #onDevice()}
 * says which. {@link #close()} frees them all; closing twice is harmless; afterwards {@link #keys}/{@link #values}
 * throw {@link IllegalStateException}. Not thread-safe (the engine's one compute thread).
 */
public final class OpenClKvStore extends LayerBuffersKvStore {
    private final boolean onDevice;

    /** Allocates every layer now; on failure frees what was allocated and rethrows. */
    public OpenClKvStore(KvSpec spec, OpenClBackend backend) {
        super(spec);
        boolean device = spec.bytes() <= backend.deviceMemoryAvailable();
        if (device) {
            try {
                allocateAll(backend::allocate);
            } catch (BackendException e) {
                device = false; // the device said no after all (other users, fragmentation): host memory instead
            }
        }
        this.onDevice = device;
        if (!device) allocateAll(backend::allocateInHostMemory);
    }

    /** Whether the cache lives in device memory (false: the host-memory fallback). */
    public boolean onDevice() {
        return onDevice;
    }
}
