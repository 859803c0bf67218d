package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_K weights times Q8_K activations, as llama.cpp's x86 CPU backend computes them.
 * <pre>{@code
 * typedef struct {
 *     ggml_half d;            // super-block scale for the 6-bit scales
 *     ggml_half dmin;         // super-block scale for the 6-bit mins
 *     uint8_t   scales[12];   // 8 scales and 8 mins of 6 bits (get_scale_min_k4)
 *     uint8_t   qs[256 / 2];  // 64-element group j: low nibbles of qs[32j ..] are sub-block 2j, high 2j+1
 * } block_q4_K;               // 144 bytes, w = d * sc * q - dmin * m
 * }</pre>
 * On AVX2 machines llama.cpp repacks Q4_K tensors whose row count is a multiple of 8 into {@code block_q4_Kx8}
 * and multiplies with {@code ggml_gemv_q4_K_8x8_q8_K}, whose per-row arithmetic is simple: per super-block the
 * exact integers {@code isum = sum_s sc_s * (q . q8)_s} and {@code imin = sum_s m_s * bsum_s}, then
 * {@code acc = fma(isum, d * dy, acc)}, {@code accMin = fma(imin, dmin * dy, accMin)}, result
 * {@code acc - accMin}. That is what both twins compute (bit-identical: only the integers are vectorized).
 * (The unrepacked {@code ggml_vec_dot_q4_K_q8_K}, used for row counts not a multiple of 8, spreads isum over
 * eight float lanes; on real models that case does not arise.)
 */
public final class Q4_KKernel implements WeightKernel {
    static final int BLOCK_BYTES = 144;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;

    @Override
    public Activations.Form form() {
        return Activations.Form.Q8_K;
    }

    /**
     * The one-token dot is bit-exact with llama.cpp; prefill runs the float GEMM all the same ({@link PanelGemm}):
     * on the Q4_K golden it moves the logits by 3e-6 (1e-6 bit-exact), and it is ~10x the row-by-row prefill.
     */
    @Override
    public boolean floatGemm() {
        return true;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, Activations a, int xRow, float[] tmp) {
        int xo = xRow * a.cols;
        return VectorWidth.ENABLED ? dotVector(w, rowOffset, a.qb, a.d, a.bsums, xo, a.cols)
                : dotScalar(w, rowOffset, a.q, a.d, a.bsums, xo, a.cols);
    }

    /** 6-bit scale of sub-block j (0..7) of the K-quant scales at byte {@code sc} ({@code get_scale_min_k4}). */
    static int scale(MemorySegment w, long sc, int j) {
        return j < 4 ? u8(w, sc + j) & 63 : u8(w, sc + j + 4) & 0x0F | (u8(w, sc + j - 4) >>> 6) << 4;
    }

    /** 6-bit min of sub-block j (0..7) of the K-quant scales at byte {@code sc}. */
    static int min(MemorySegment w, long sc, int j) {
        return j < 4 ? u8(w, sc + j + 4) & 63 : u8(w, sc + j + 4) >>> 4 | (u8(w, sc + j) >>> 6) << 4;
    }

    static int u8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /** {@code sum_s m_s * (bsum_{2s} + bsum_{2s+1})} of the super-block at {@code off}; {@code bo}: its first bsum. */
    static int minSum(MemorySegment w, long off, int[] bsums, int bo) {
        int imin = 0;
        for (int s = 0; s < 8; s++) imin += min(w, off + 4, s) * (bsums[bo + 2 * s] + bsums[bo + 2 * s + 1]);
        return imin;
    }

    /** 4-bit value of element e (0..255) of the super-block at {@code off}. */
    static int q4(MemorySegment w, long off, int e) {
        int packed = u8(w, off + 16 + 32 * (e / 64) + e % 32);
        return (e & 32) == 0 ? packed & 0x0F : packed >>> 4;
    }

    /** Scalar twin. {@code xq}: Q8_K integers as floats, {@code xd}: their float scales, {@code bsums}: sums of 16. */
    public static float dotScalar(MemorySegment w, long off, float[] xq, float[] xd, int[] bsums, int xo, int cols) {
        float acc = 0f, accMin = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            int isum = 0;
            for (int s = 0; s < 8; s++) {
                int dot = 0;
                for (int i = 32 * s; i < 32 * s + 32; i++) dot += q4(w, off, i) * (int) xq[xb + i];
                isum += scale(w, off + 4, s) * dot;
            }
            float dy = xd[xb / 256];
            acc = Math.fma((float) isum, WeightKernel.half(w, off) * dy, acc);
            accMin = Math.fma((float) minSum(w, off, bsums, xb / 16), WeightKernel.half(w, off + 2) * dy, accMin);
        }
        return acc - accMin;
    }

    /**
     * Vector kernel: the integer sums eight int lanes at a time (four bytes per lane), then the twin's floats. The
     * twelve scale bytes are read once per super-block as a long and an int ({@link #scaleOf}, {@link #minOf}): byte
     * reads through the segment, five per sub-block, took half the time.
     */
    public static float dotVector(MemorySegment w, long off, byte[] xq, float[] xd, int[] bsums, int xo, int cols) {
        float acc = 0f, accMin = 0f;
        for (int b = 0; b < cols / 256; b++, off += BLOCK_BYTES) {
            int xb = xo + b * 256;
            long q8 = w.get(LONG, off + 4);
            int q4 = w.get(WeightKernel.I32, off + 12);
            IntVector sum = IntVector.zero(IntVector.SPECIES_256);
            for (int j = 0; j < 4; j++) {
                IntVector p = ByteVector.fromMemorySegment(B32, w, off + 16 + 32 * j, ByteOrder.LITTLE_ENDIAN)
                        .reinterpretAsInts();
                IntVector lo = p.and(0x0F0F0F0F), hi = p.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F);
                sum = sum.add(dot4(lo, xq, xb + 64 * j).mul(scaleOf(q8, q4, 2 * j)));
                sum = sum.add(dot4(hi, xq, xb + 64 * j + 32).mul(scaleOf(q8, q4, 2 * j + 1)));
            }
            int imin = 0, bo = xb / 16;
            for (int s = 0; s < 8; s++) imin += minOf(q8, q4, s) * (bsums[bo + 2 * s] + bsums[bo + 2 * s + 1]);
            float dy = xd[xb / 256];
            acc = Math.fma((float) sum.reduceLanes(VectorOperators.ADD), WeightKernel.half(w, off) * dy, acc);
            accMin = Math.fma((float) imin, WeightKernel.half(w, off + 2) * dy, accMin);
        }
        return acc - accMin;
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte {@code k} (0..11) of the scales read as {@code q8} (bytes 0..7) and {@code q4} (8..11). */
    private static int scaleByte(long q8, int q4, int k) {
        return k < 8 ? (int) (q8 >>> 8 * k) & 0xFF : q4 >>> 8 * (k - 8) & 0xFF;
    }

    /** {@link #scale} from the scales in registers. */
    static int scaleOf(long q8, int q4, int j) {
        return j < 4 ? scaleByte(q8, q4, j) & 63 : scaleByte(q8, q4, j + 4) & 0x0F | (scaleByte(q8, q4, j - 4) >>> 6) << 4;
    }

    /** {@link #min} from the scales in registers. */
    static int minOf(long q8, int q4, int j) {
        return j < 4 ? scaleByte(q8, q4, j + 4) & 63 : scaleByte(q8, q4, j + 4) >>> 4 | (scaleByte(q8, q4, j) >>> 6) << 4;
    }

    /**
     * Lane k: {@code sum over s of (unsigned byte s of u, lane k) * xq[xo + 4k + s]}: 32 unsigned weight bytes
     * (each below 128) times 32 Q8 activations, four products per int lane.
     */
    static IntVector dot4(IntVector u, byte[] xq, int xo) {
        IntVector x = ByteVector.fromArray(B32, xq, xo).reinterpretAsInts();
        IntVector g = u.and(0xFF).mul(Q8_0Kernel.signedByte(x, 0));
        for (int s = 1; s < 4; s++)
            g = g.add(u.lanewise(VectorOperators.LSHR, 8 * s).and(0xFF).mul(Q8_0Kernel.signedByte(x, s)));
        return g;
    }

    @Override
    public void dequantizeRow(MemorySegment w, long rowOffset, float[] dst, int dstOffset, int cols) {
        for (int b = 0; b < cols / 256; b++, rowOffset += BLOCK_BYTES) {
            float d = WeightKernel.half(w, rowOffset), dmin = WeightKernel.half(w, rowOffset + 2);
            for (int s = 0; s < 8; s++) {
                float ds = d * scale(w, rowOffset + 4, s), ms = dmin * min(w, rowOffset + 4, s);
                for (int i = 32 * s; i < 32 * s + 32; i++) dst[dstOffset + b * 256 + i] = ds * q4(w, rowOffset, i) - ms;
            }
        }
    }
}
