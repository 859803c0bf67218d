package io.aircela.backend.opencl;

import io.aircela.BackendException;
import io.aircela.compute.DeviceBuffer;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;

/**
 * Keys and values per layer, each a zero-filled {@code (contextLength, kvDim)} buffer of the spec's type (F32 or
 * F16). They go to device memory when the whole cache fits in what the backend may still allocate; otherwise
 * (or when a device allocation fails) every layer goes to host memory the device reads over the bus
 * ({@link OpenClBackend#allocateInHostMemory}): slower attention, but the model still runs. {@link #onDevice()}
 * says which. {@link #close()} frees them all; closing twice is harmless; afterwards {@link #keys}/{@link #values}
 * throw {@link IllegalStateException}. Not thread-safe (the engine's one compute thread).
 */
public final class OpenClKvStore implements KvStore {
    private final KvSpec spec;
    private final DeviceBuffer[] keys;
    private final DeviceBuffer[] values;
    private final boolean onDevice;
    private boolean closed;

    /** Allocates every layer now; on failure frees what was allocated and rethrows. */
    public OpenClKvStore(KvSpec spec, OpenClBackend backend) {
        this.spec = spec;
        this.keys = new DeviceBuffer[spec.layers()];
        this.values = new DeviceBuffer[spec.layers()];
        boolean device = spec.bytes() <= backend.deviceMemoryAvailable();
        if (device) {
            try {
                fill(backend, true);
            } catch (BackendException e) {
                freeAll(); // the device said no after all (other users, fragmentation): host memory instead
                device = false;
            }
        }
        this.onDevice = device;
        if (!device) {
            try {
                fill(backend, false);
            } catch (RuntimeException | Error e) {
                freeAll();
                throw e;
            }
        }
    }

    private void fill(OpenClBackend backend, boolean device) {
        long elements = spec.elementsPerLayer();
        for (int l = 0; l < spec.layers(); l++) {
            keys[l] = device ? backend.allocate(spec.type(), elements) : backend.allocateInHostMemory(spec.type(), elements);
            values[l] = device ? backend.allocate(spec.type(), elements) : backend.allocateInHostMemory(spec.type(), elements);
        }
    }

    /** Whether the cache lives in device memory (false: the host-memory fallback). */
    public boolean onDevice() {
        return onDevice;
    }

    @Override
    public KvSpec spec() {
        return spec;
    }

    @Override
    public DeviceBuffer keys(int layer) {
        return layer(keys, layer);
    }

    @Override
    public DeviceBuffer values(int layer) {
        return layer(values, layer);
    }

    private DeviceBuffer layer(DeviceBuffer[] buffers, int layer) {
        if (closed) throw new IllegalStateException("this KV store is closed");
        if (layer < 0 || layer >= buffers.length)
            throw new IndexOutOfBoundsException("layer " + layer + " is outside 0.." + (buffers.length - 1));
        return buffers[layer];
    }

    private void freeAll() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) keys[l].close();
            if (values[l] != null) values[l].close();
            keys[l] = values[l] = null;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        freeAll();
    }
}
