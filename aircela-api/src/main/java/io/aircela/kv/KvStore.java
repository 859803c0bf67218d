package io.aircela.kv;

import io.aircela.compute.DeviceBuffer;

/**
 * Where keys and values live, per layer. Buffers are laid out {@code (contextLength, kvDim)} and
 * belong to the backend the store was made for. Closing frees them; closing twice is harmless.
 */
public interface KvStore extends AutoCloseable {

    KvSpec spec();

    /** Keys of {@code layer}: {@code (contextLength, kvDim)}. */
    DeviceBuffer keys(int layer);

    /** Values of {@code layer}: {@code (contextLength, kvDim)}. */
    DeviceBuffer values(int layer);

    @Override
    void close();
}
