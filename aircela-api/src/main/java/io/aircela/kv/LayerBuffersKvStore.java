package io.aircela.kv;

import io.aircela.compute.DeviceBuffer;
import io.aircela.quant.QuantType;

/**
 * The common shape of a {@link KvStore}: one keys and one values buffer per layer, each
 * {@code (contextLength, kvDim)} of the spec's type, allocated by the subclass through its backend.
 * {@link #close()} frees them all; closing twice is harmless; afterwards {@link #keys}/{@link #values}
 * throw {@link IllegalStateException}. Not thread-safe (used by the engine's one compute thread).
 */
public abstract class LayerBuffersKvStore implements KvStore {
    /** Makes one layer's keys or values buffer. */
    @FunctionalInterface
    protected interface Allocator {
        DeviceBuffer allocate(QuantType type, long elements);
    }

    private final KvSpec spec;
    private final DeviceBuffer[] keys;
    private final DeviceBuffer[] values;
    private boolean closed;

    protected LayerBuffersKvStore(KvSpec spec) {
        this.spec = spec;
        this.keys = new DeviceBuffer[spec.layers()];
        this.values = new DeviceBuffer[spec.layers()];
    }

    /** Allocates every layer with {@code allocator}; on failure frees what was allocated and rethrows. */
    protected final void allocateAll(Allocator allocator) {
        try {
            for (int l = 0; l < keys.length; l++) {
                keys[l] = allocator.allocate(spec.type(), spec.elementsPerLayer());
                values[l] = allocator.allocate(spec.type(), spec.elementsPerLayer());
            }
        } catch (RuntimeException | Error e) {
            freeAll();
            throw e;
        }
    }

    /** Frees every buffer allocated so far (the store may allocate again afterwards). */
    protected final void freeAll() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) keys[l].close();
            if (values[l] != null) values[l].close();
            keys[l] = values[l] = null;
        }
    }

    @Override
    public final KvSpec spec() {
        return spec;
    }

    @Override
    public final DeviceBuffer keys(int layer) {
        return layer(keys, layer);
    }

    @Override
    public final DeviceBuffer values(int layer) {
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
        freeAll();
    }
}
