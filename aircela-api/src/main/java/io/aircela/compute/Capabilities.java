package io.aircela.compute;

import io.aircela.quant.QuantType;

import java.util.Set;

/**
 * What a backend runs natively, as data. What is missing falls back: a weight type without a
 * native matmul is dequantized on the host and uploaded as F32.
 *
 * @param ops         operations the backend implements
 * @param matmulTypes weight types {@link Op.MatMul} and {@link Op.GetRows} accept directly
 * @param kvTypes     element types the KV cache may have in {@link Op.Attention}
 */
public record Capabilities(Set<OpKind> ops, Set<QuantType> matmulTypes, Set<QuantType> kvTypes) {
    public Capabilities {
        ops = Set.copyOf(ops);
        matmulTypes = Set.copyOf(matmulTypes);
        kvTypes = Set.copyOf(kvTypes);
    }

    /** Whether {@code kind} runs natively with weights (or cache) of {@code type}. */
    public boolean supports(OpKind kind, QuantType type) {
        if (!ops.contains(kind)) return false;
        return switch (kind) {
            case MATMUL, GET_ROWS -> matmulTypes.contains(type);
            case ATTENTION -> kvTypes.contains(type);
            default -> true;
        };
    }
}
