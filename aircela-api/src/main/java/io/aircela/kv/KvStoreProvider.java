package io.aircela.kv;

import io.aircela.compute.ComputeBackend;

/** Makes one kind of {@link KvStore}. Found with {@link java.util.ServiceLoader}. */
public interface KvStoreProvider {

    /** Name, e.g. {@code "host"}. */
    String name();

    /** How well this store fits {@code backend} (0 = cannot serve it). */
    int probe(ComputeBackend backend);

    /** A store of {@code spec}'s shape whose buffers {@code backend} can use. */
    KvStore create(KvSpec spec, ComputeBackend backend);
}
