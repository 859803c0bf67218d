package io.aircela.backend.cpu.internal;

import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The weight kernel for each stored type: fused where one exists, else the installed dequantizer. */
public final class Kernels {
    /** Types with a fused (vector + scalar twin) kernel here. */
    public static final Set<QuantType> FUSED = EnumSet.of(QuantType.F32, QuantType.F16, QuantType.Q8_0,
            QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1, QuantType.Q4_K, QuantType.Q5_K,
            QuantType.Q6_K);

    private final Map<QuantType, WeightKernel> byType = new EnumMap<>(QuantType.class);

    /** Looks dequantizers up once (ServiceLoader), at backend creation. */
    public Kernels() {
        byType.put(QuantType.F32, new F32Kernel());
        byType.put(QuantType.F16, new F16Kernel());
        byType.put(QuantType.Q8_0, new Q8_0Kernel());
        byType.put(QuantType.Q4_0, new Q4_0Kernel());
        byType.put(QuantType.Q4_1, new Q4_1Kernel());
        byType.put(QuantType.Q5_0, new Q5_0Kernel());
        byType.put(QuantType.Q5_1, new Q5_1Kernel());
        byType.put(QuantType.Q4_K, new Q4_KKernel());
        byType.put(QuantType.Q5_K, new Q5_KKernel());
        byType.put(QuantType.Q6_K, new Q6_KKernel());
        for (QuantType t : QuantType.values()) {
            if (byType.containsKey(t) || t.blockSize() == 1 && t != QuantType.BF16) continue; // ints, F64: not weights
            Providers.findDequantizer(t.name()).ifPresent(d -> byType.put(t, new DequantizerKernel(d)));
        }
    }

    /** Every type MatMul and GetRows accept. */
    public Set<QuantType> types() {
        return EnumSet.copyOf(byType.keySet());
    }

    /** The kernel for {@code type}, or null. */
    public WeightKernel forType(QuantType type) {
        return byType.get(type);
    }
}
