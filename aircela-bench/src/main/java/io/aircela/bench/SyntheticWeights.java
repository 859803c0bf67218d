package io.aircela.bench;

import io.aircela.quant.QuantType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random weights in a stored format, for benchmarks: every block is random bytes except its
 * fp16 scale fields, which get small positive values so that every dequantized weight is finite and
 * of the size real models have (|w| well below 1). The arithmetic cost of a kernel does not depend on
 * the values, only on the layout; the scales only keep the results finite.
 */
public final class SyntheticWeights {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte offsets of the fp16 scale fields ({@code d}, {@code dmin}, {@code m}) inside one block, per format. */
    private static final Map<QuantType, int[]> SCALE_OFFSETS = Map.ofEntries(
            Map.entry(QuantType.Q4_0, new int[] {0}),
            Map.entry(QuantType.Q4_1, new int[] {0, 2}),
            Map.entry(QuantType.Q5_0, new int[] {0}),
            Map.entry(QuantType.Q5_1, new int[] {0, 2}),
            Map.entry(QuantType.Q8_0, new int[] {0}),
            Map.entry(QuantType.IQ4_NL, new int[] {0}),
            Map.entry(QuantType.Q2_K, new int[] {80, 82}),   // scales[16], qs[64], d, dmin
            Map.entry(QuantType.Q3_K, new int[] {108}),      // hmask[32], qs[64], scales[12], d
            Map.entry(QuantType.Q4_K, new int[] {0, 2}),     // d, dmin, scales[12], qs[128]
            Map.entry(QuantType.Q5_K, new int[] {0, 2}),     // d, dmin, scales[12], qh[32], qs[128]
            Map.entry(QuantType.Q6_K, new int[] {208}));     // ql[128], qh[64], scales[16], d

    private SyntheticWeights() {
    }

    /** Formats this class can fill. */
    public static boolean supports(QuantType type) {
        return type == QuantType.F32 || type == QuantType.F16 || type == QuantType.BF16 || SCALE_OFFSETS.containsKey(type);
    }

    /**
     * {@code elements} weights of {@code type} in native memory owned by {@code arena}.
     *
     * @throws IllegalArgumentException for a format this class cannot fill, or a partial block
     */
    public static MemorySegment of(QuantType type, long elements, long seed, Arena arena) {
        if (!supports(type)) throw new IllegalArgumentException("no synthetic weights for " + type);
        MemorySegment s = arena.allocate(type.byteSize(elements), 64);
        SplittableRandom random = new SplittableRandom(seed);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < elements; i++) s.setAtIndex(FLOAT, i, gaussian(random));
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) s.setAtIndex(HALF, i, Float.floatToFloat16(gaussian(random)));
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++)
                    s.setAtIndex(HALF, i, (short) (Float.floatToRawIntBits(gaussian(random)) >>> 16));
            }
            default -> fillBlocks(s, type, random);
        }
        return s;
    }

    private static void fillBlocks(MemorySegment s, QuantType type, SplittableRandom random) {
        long size = s.byteSize();
        for (long i = 0; i + 8 <= size; i += 8) s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        for (long i = size & ~7L; i < size; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        int[] scales = SCALE_OFFSETS.get(type);
        // K-quants multiply d by 6- or 8-bit sub-block scales as well: a smaller d keeps |w| below about 0.2
        double base = type.blockSize() == 256 ? 1e-5 : 1e-3;
        for (long block = 0; block < size; block += type.bytesPerBlock()) {
            for (int o : scales) s.set(HALF, block + o, Float.floatToFloat16((float) (base + random.nextDouble() * 2 * base)));
        }
    }

    private static float gaussian(SplittableRandom random) {
        return (float) (random.nextGaussian() * 0.02);
    }
}
