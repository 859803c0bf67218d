package io.aircela.tck;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.Fp16;
import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Random;

/**
 * Seeded random weights in any stored format, with their decoded floats. Quant bytes are random (every
 * nibble and bit pattern occurs); the block scales, whose positions are listed per format below from
 * ggml's block structs, are set to small positive fp16 values so that weights stay finite and near 1.
 * A format not listed keeps random bytes and each block is redrawn until it decodes to finite values
 * of moderate size.
 */
final class RandomWeights {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte offsets of fp16 scale fields (d, dmin/m) inside one block. */
    private static final Map<QuantType, int[]> HALF_SCALES = Map.ofEntries(
            Map.entry(QuantType.Q4_0, new int[]{0}), Map.entry(QuantType.Q4_1, new int[]{0, 2}),
            Map.entry(QuantType.Q5_0, new int[]{0}), Map.entry(QuantType.Q5_1, new int[]{0, 2}),
            Map.entry(QuantType.Q8_0, new int[]{0}), Map.entry(QuantType.Q8_1, new int[]{0, 2}),
            Map.entry(QuantType.IQ4_NL, new int[]{0}), Map.entry(QuantType.IQ4_XS, new int[]{0}),
            Map.entry(QuantType.Q2_K, new int[]{80, 82}), Map.entry(QuantType.Q3_K, new int[]{108}),
            Map.entry(QuantType.Q4_K, new int[]{0, 2}), Map.entry(QuantType.Q5_K, new int[]{0, 2}),
            Map.entry(QuantType.Q6_K, new int[]{208}), Map.entry(QuantType.IQ2_XXS, new int[]{0}),
            Map.entry(QuantType.IQ2_XS, new int[]{0}), Map.entry(QuantType.IQ2_S, new int[]{0}),
            Map.entry(QuantType.IQ3_XXS, new int[]{0}), Map.entry(QuantType.IQ3_S, new int[]{0}),
            Map.entry(QuantType.IQ1_S, new int[]{0}), Map.entry(QuantType.TQ1_0, new int[]{52}),
            Map.entry(QuantType.TQ2_0, new int[]{64}));

    private RandomWeights() {
    }

    /** {@code count} weights of {@code type} (a whole number of blocks) into {@code dst}; returns their floats. */
    static float[] fill(QuantType type, int count, MemorySegment dst, Dequantizer decoder, Random random) {
        float[] values = new float[count];
        switch (type) {
            case F32 -> {
                for (int i = 0; i < count; i++) dst.setAtIndex(FLOAT, i, values[i] = random.nextFloat(-1f, 1f));
                return values;
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    short h = Fp16.fromFloat(random.nextFloat(-1f, 1f));
                    dst.setAtIndex(HALF, i, h);
                    values[i] = Fp16.toFloat(h);
                }
                return values;
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    short h = Fp16.floatToBf16(random.nextFloat(-1f, 1f));
                    dst.setAtIndex(HALF, i, h);
                    values[i] = Fp16.bf16ToFloat(h);
                }
                return values;
            }
            default -> {
                int blocks = count / type.blockSize();
                for (int b = 0; b < blocks; b++) fillBlock(type, dst, b, values, decoder, random);
                return values;
            }
        }
    }

    private static void fillBlock(QuantType type, MemorySegment dst, int b, float[] values, Dequantizer decoder,
                                  Random random) {
        long off = (long) b * type.bytesPerBlock();
        int bs = type.blockSize();
        byte[] bytes = new byte[type.bytesPerBlock()];
        for (int attempt = 0; attempt < 1000; attempt++) {
            random.nextBytes(bytes);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, dst, off, bytes.length);
            int[] scales = HALF_SCALES.get(type);
            if (scales != null)
                for (int s : scales) dst.set(HALF, off + s, Fp16.fromFloat(random.nextFloat(0.002f, 0.03f)));
            else if (type == QuantType.Q8_K) dst.set(FLOAT, off, random.nextFloat(0.002f, 0.03f));
            decoder.dequantize(dst, off, values, b * bs, bs);
            if (scales != null || type == QuantType.Q8_K || moderate(values, b * bs, bs)) return;
        }
        throw new IllegalStateException("could not draw a finite block of " + type + " in 1000 tries");
    }

    private static boolean moderate(float[] v, int from, int count) {
        for (int i = from; i < from + count; i++) if (!(Math.abs(v[i]) <= 1e3f)) return false;
        return true;
    }
}
