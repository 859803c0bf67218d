package io.aircela.backend.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Dot products of one stored weight format with prepared {@link Activations}, and row dequantization
 * (for {@code GetRows}). Stateless and thread-safe; {@code tmp} is the calling worker's scratch row.
 */
public interface WeightKernel {
    ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The activation form this kernel consumes. */
    Activations.Form form();

    /**
     * Dot product of the weight row starting at byte {@code rowOffset} of {@code w} ({@code a.cols} weights)
     * with activation row {@code xRow} of {@code a}.
     */
    float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp);

    /**
     * Dots of one weight row with activation rows {@code xRow .. xRow + count} into {@code out[0 .. count)}
     * ({@code count <= }{@link #ROWS_PER_TILE}). Same results as {@link #dot} row by row; kernels override it to
     * decode each weight block once for all the rows (prefill).
     */
    default void dotRows(MemorySegment w, long rowOffset, Activations a, int xRow, int count, float[] out, float[] tmp) {
        for (int i = 0; i < count; i++) out[i] = dot(w, rowOffset, a, xRow + i, tmp);
    }

    /**
     * Whether prefill may run this type as the float {@link PanelGemm} (dequantized weights times the dequantized
     * {@code vec_dot_type} activations). False for kernels that reproduce llama.cpp's integer block dots bit for
     * bit: the GEMM rounds differently (about 1e-6 relative), and once a sum differs in its last bit the next
     * layer's Q8 activation rounding can flip, which moves those models' logits by 1e-2 instead of 1e-6.
     */
    default boolean floatGemm() {
        return true;
    }

    /** Activation rows one {@link #dotRows} call handles at most. */
    int ROWS_PER_TILE = 4;

    /** Dequantizes {@code cols} weights starting at byte {@code rowOffset} into {@code dst[dstOffset ..]}. */
    void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols);

    /** fp16 scale at byte {@code offset}. */
    static float half(MemorySegment w, long offset) {
        return Float.float16ToFloat(w.get(F16, offset));
    }
}
