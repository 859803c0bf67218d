package io.aircela.backend.opencl.internal;

import io.aircela.quant.QuantType;

import java.util.EnumSet;
import java.util.Set;

/**
 * The weight types the kernels decode themselves (quant.cl), with the unit each work-item takes: one
 * element, one block or one sub-block (the smallest piece with its own scale).
 */
public final class WeightFormats {
    /** Types with a native matmul and get_rows kernel. */
    public static final Set<QuantType> NATIVE = EnumSet.of(QuantType.F32, QuantType.F16, QuantType.Q8_0,
            QuantType.Q4_0, QuantType.Q4_K, QuantType.Q6_K);

    private WeightFormats() {
    }

    /** Kernel name suffix, e.g. {@code "q4_k"}. */
    public static String suffix(QuantType type) {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Weights per work-item unit. */
    public static int unitSize(QuantType type) {
        return switch (type) {
            case F32, F16 -> 1;
            case Q8_0, Q4_0, Q4_K -> 32;
            case Q6_K -> 16;
            default -> throw new IllegalArgumentException(type + " has no OpenCL kernel");
        };
    }
}
