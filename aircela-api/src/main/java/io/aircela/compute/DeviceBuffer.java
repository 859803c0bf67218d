package io.aircela.compute;

import io.aircela.quant.QuantType;

/**
 * Memory owned by a {@link ComputeBackend}: activations, KV cache rows or a weight tensor's raw
 * (still quantized) bytes. Only the backend that made it may use it. Closing twice is harmless.
 */
public interface DeviceBuffer extends AutoCloseable {

    /** Element type of the stored data. */
    QuantType type();

    /** Number of elements (weights or floats). */
    long elements();

    /** Bytes occupied: {@code type().byteSize(elements())}. */
    default long byteSize() {
        return type().byteSize(elements());
    }

    @Override
    void close();
}
