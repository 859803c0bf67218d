package io.aircela.engine.model;

import io.aircela.quant.QuantType;
import io.aircela.weights.TensorInfo;

/**
 * One weight the forward pass reads, resolved before any byte is loaded: the stored tensor, its
 * shape as the ops see it, and the type it must have on the device.
 *
 * @param tensor     the stored tensor
 * @param rows       output rows (1 for vectors)
 * @param cols       inputs per row (the vector's length for vectors)
 * @param deviceType the stored type when the backend runs it natively, else {@link QuantType#F32}
 *                   (dequantized on the host first, as are norm weights and biases)
 */
public record WeightSpec(TensorInfo tensor, int rows, int cols, QuantType deviceType) {

    /** Whether the stored bytes must be dequantized to F32 before the device can use them. */
    public boolean converted() {
        return deviceType != tensor.type();
    }

    /** Bytes the weight occupies on the device. */
    public long deviceBytes() {
        return deviceType.byteSize(tensor.elements());
    }

    /** Weights (elements) in the tensor. */
    public long elements() {
        return tensor.elements();
    }
}
