package io.aircela.backend.cpu;

import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;

/**
 * Keys and values per layer, each a zero-filled {@code (contextLength, kvDim)} buffer of the spec's type
 * (F32 or F16) allocated through the backend it serves. {@link #close()} frees them all; closing twice is
 * harmless; afterwards {@link #keys}/{@link #values} throw {@link IllegalStateException}. Not thread-safe
 * (used by the engine's one compute thread).
 */
public final class HostKvStore implements KvStore {
    private final KvSpec spec;
    private final DeviceBuffer[] keys;
    private final DeviceBuffer[] values;
    private boolean closed;

    /** Allocates every layer now; on failure frees what was allocated and rethrows. */
    public HostKvStore(KvSpec spec, ComputeBackend backend) {
        this.spec = spec;
        this.keys = new DeviceBuffer[spec.layers()];
        this.values = new DeviceBuffer[spec.layers()];
        try {
            for (int l = 0; l < spec.layers(); l++) {
                keys[l] = backend.allocate(spec.type(), spec.elementsPerLayer());
                values[l] = backend.allocate(spec.type(), spec.elementsPerLayer());
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
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

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) keys[l].close();
            if (values[l] != null) values[l].close();
        }
    }
}
