package io.aircela.engine.model;

import io.aircela.compute.DeviceBuffer;
import io.aircela.quant.QuantType;

/**
 * A weight on the device: a matrix {@code (rows, cols)} (ggml {@code [cols, rows]}) or a vector
 * ({@code rows = 1}). The buffer belongs to the {@link WeightProvider} that made it.
 *
 * @param name   tensor name in the model file
 * @param buffer the weight's bytes on the device, in {@link #type()}
 * @param rows   output rows (1 for vectors)
 * @param cols   inputs per row
 */
public record Weight(String name, DeviceBuffer buffer, int rows, int cols) {

    /** Storage type on the device (the file's type, or F32 when the backend had to take floats). */
    public QuantType type() {
        return buffer.type();
    }
}
