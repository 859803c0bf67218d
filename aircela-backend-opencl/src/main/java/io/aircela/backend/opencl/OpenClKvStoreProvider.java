package io.aircela.backend.opencl;

import io.aircela.compute.ComputeBackend;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;
import io.aircela.kv.KvStoreProvider;

/**
 * The KV store for the OpenCL backend ({@code "opencl"}): keys and values in device memory, or in host memory
 * the device reads when the device lacks room (see {@link OpenClKvStore}). Scores 20 for an
 * {@link OpenClBackend} (above the generic host store's 1) and 0 for every other backend.
 */
public final class OpenClKvStoreProvider implements KvStoreProvider {
    public static final int SCORE = 20;

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public int probe(ComputeBackend backend) {
        return backend instanceof OpenClBackend ? SCORE : 0;
    }

    @Override
    public KvStore create(KvSpec spec, ComputeBackend backend) {
        if (!(backend instanceof OpenClBackend ocl))
            throw new IllegalArgumentException("the opencl KV store serves the opencl backend only, not " + backend.name());
        return new OpenClKvStore(spec, ocl);
    }
}
