package io.aircela.formats.quant;

import io.aircela.quant.Fp16;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian reads and the packed-scale decoding the built-in dequantizers share. */
final class QuantBlocks {
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** ggml's super-block size for the K-quants. */
    static final int QK_K = 256;

    private QuantBlocks() {
    }

    /** An IEEE binary16 value at {@code off}. */
    static float half(MemorySegment s, long off) {
        return Fp16.toFloat(s.get(HALF, off));
    }

    /** An unsigned byte at {@code off}. */
    static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /** A signed byte at {@code off}. */
    static int i8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    /**
     * ggml's {@code get_scale_min_k4}: the 6-bit scale ({@code want == 0}) or min ({@code want == 1}) of
     * sub-block {@code j} (0..7) from the 12 packed bytes at {@code off} (Q4_K, Q5_K).
     * <pre>{@code
     * j < 4:  sc = q[j] & 63;                        m = q[j+4] & 63;
     * j >= 4: sc = (q[j+4] & 0xF) | ((q[j-4] >> 6) << 4); m = (q[j+4] >> 4) | ((q[j] >> 6) << 4);
     * }</pre>
     */
    static int scaleK4(MemorySegment s, long off, int j) {
        if (j < 4) return u8(s, off + j) & 63;
        return (u8(s, off + j + 4) & 0xF) | ((u8(s, off + j - 4) >> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j}; see {@link #scaleK4}. */
    static int minK4(MemorySegment s, long off, int j) {
        if (j < 4) return u8(s, off + j + 4) & 63;
        return (u8(s, off + j + 4) >> 4) | ((u8(s, off + j) >> 6) << 4);
    }
}
