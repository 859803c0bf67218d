package io.aircela.engine.reference;

import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;

/** Plain KV store: two buffers per layer allocated from the backend. For tests. */
public final class ReferenceKvStore implements KvStore {
    private final KvSpec spec;
    private final DeviceBuffer[] keys, values;

    public ReferenceKvStore(KvSpec spec, ComputeBackend backend) {
        this.spec = spec;
        keys = new DeviceBuffer[spec.layers()];
        values = new DeviceBuffer[spec.layers()];
        for (int l = 0; l < spec.layers(); l++) {
            keys[l] = backend.allocate(spec.type(), spec.elementsPerLayer());
            values[l] = backend.allocate(spec.type(), spec.elementsPerLayer());
        }
    }

    public KvSpec spec() {
        return spec;
    }

    public DeviceBuffer keys(int layer) {
        return keys[layer];
    }

    public DeviceBuffer values(int layer) {
        return values[layer];
    }

    public void close() {
        for (int l = 0; l < spec.layers(); l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
