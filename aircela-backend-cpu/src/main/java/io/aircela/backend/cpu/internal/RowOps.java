package io.aircela.backend.cpu.internal;

import io.aircela.weights.RopeStyle;

import java.lang.foreign.MemorySegment;

import static io.aircela.backend.cpu.internal.WeightKernel.F16;
import static io.aircela.backend.cpu.internal.WeightKernel.F32;

/**
 * The element-wise and per-row ops, single-threaded (they are memory-bound and small next to the
 * matmuls). The float arithmetic follows ggml's CPU ops step by step (double accumulators where ggml
 * uses {@code ggml_float}, float elsewhere) so that results land close to llama.cpp's.
 * All segments hold F32 unless a parameter says otherwise; offsets are in elements.
 */
public final class RowOps {
    private RowOps() {
    }

    /** ggml_compute_forward_rms_norm_f32 then ggml_mul: {@code out = (x * (1 / sqrt(mean(x^2) + eps))) * w}. */
    public static void rmsNorm(MemorySegment x, float[] weight, MemorySegment out, int n, int dim, float eps) {
        for (int r = 0; r < n; r++) {
            long o = (long) r * dim;
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                float v = x.getAtIndex(F32, o + i);
                sum += v * v;
            }
            float mean = (float) (sum / dim);
            float scale = 1.0f / (float) Math.sqrt(mean + eps);
            for (int i = 0; i < dim; i++) out.setAtIndex(F32, o + i, (x.getAtIndex(F32, o + i) * scale) * weight[i]);
        }
    }

    /**
     * ggml's rope (ext_factor 0, freq_scale 1): per position the angle starts at {@code pos} and is
     * multiplied by {@code theta_scale = base^(-2 / ropeDims)} (in float) for each next pair, so the
     * rounding matches ggml's cache. NORMAL rotates pairs (2j, 2j+1); NEOX rotates (j, j + ropeDims/2).
     * Dimensions from {@code ropeDims} to {@code headDim} pass through.
     */
    public static void rope(MemorySegment x, int n, int heads, int headDim, int ropeDims, int startPos, float base,
                            RopeStyle style, float[] cos, float[] sin) {
        float thetaScale = (float) Math.pow(base, -2.0f / ropeDims);
        int half = ropeDims / 2;
        for (int r = 0; r < n; r++) {
            float theta = startPos + r;
            for (int j = 0; j < half; j++) {
                cos[j] = (float) Math.cos(theta);
                sin[j] = (float) Math.sin(theta);
                theta *= thetaScale;
            }
            for (int h = 0; h < heads; h++) {
                long o = ((long) r * heads + h) * headDim;
                for (int j = 0; j < half; j++) {
                    long i0 = style == RopeStyle.NEOX ? o + j : o + 2L * j;
                    long i1 = style == RopeStyle.NEOX ? o + j + half : i0 + 1;
                    float x0 = x.getAtIndex(F32, i0);
                    float x1 = x.getAtIndex(F32, i1);
                    x.setAtIndex(F32, i0, x0 * cos[j] - x1 * sin[j]);
                    x.setAtIndex(F32, i1, x0 * sin[j] + x1 * cos[j]);
                }
            }
        }
    }

    /**
     * ggml_compute_forward_soft_max_f32 (no mask, scale 1): max in float; {@link GgmlMath#expf} in chunks of 16
     * whose float sums ({@link GgmlMath#reduce16}) add up in double, libm expf for the tail; times 1/sum.
     */
    public static void softmax(MemorySegment x, int n, int dim) {
        float[] chunk = new float[GgmlMath.CHUNK];
        int simd = dim - dim % GgmlMath.CHUNK;
        for (int r = 0; r < n; r++) {
            long o = (long) r * dim;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < dim; i++) max = Math.max(max, x.getAtIndex(F32, o + i));
            double sum = 0;
            for (int c = 0; c < simd; c += GgmlMath.CHUNK) {
                for (int k = 0; k < GgmlMath.CHUNK; k++) {
                    chunk[k] = GgmlMath.expf(x.getAtIndex(F32, o + c + k) - max);
                    x.setAtIndex(F32, o + c + k, chunk[k]);
                }
                sum += GgmlMath.reduce16(chunk, 0);
            }
            for (int i = simd; i < dim; i++) {
                float e = (float) Math.exp(x.getAtIndex(F32, o + i) - max);
                x.setAtIndex(F32, o + i, e);
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < dim; i++) x.setAtIndex(F32, o + i, x.getAtIndex(F32, o + i) * inv);
        }
    }

    /**
     * ggml_vec_swiglu_f32: {@code out = silu(x) * up} with the SIMD {@link GgmlMath#silu}. ggml runs it per row
     * of the FFN width with a libm tail; we see one flat range, so for a width that is not a multiple of 16
     * the tail elements of each row differ from ggml by an ulp or so.
     */
    public static void swiGlu(MemorySegment gate, MemorySegment up, MemorySegment out, long count) {
        for (long i = 0; i < count; i++)
            out.setAtIndex(F32, i, GgmlMath.silu(gate.getAtIndex(F32, i)) * up.getAtIndex(F32, i));
    }

    /** {@code out[i] = a[i] + b[i % bCount]}. */
    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, long count, long bCount) {
        for (long i = 0; i < count; i++) out.setAtIndex(F32, i, a.getAtIndex(F32, i) + b.getAtIndex(F32, i % bCount));
    }

    /** Copies {@code count} elements, each side F32 or F16 as its flag says (fp16 rounds to nearest even). */
    public static void copy(MemorySegment src, boolean srcHalf, long srcOffset, MemorySegment dst, boolean dstHalf,
                            long dstOffset, long count) {
        if (srcHalf == dstHalf) {
            long size = srcHalf ? 2 : 4;
            MemorySegment.copy(src, srcOffset * size, dst, dstOffset * size, count * size);
            return;
        }
        for (long i = 0; i < count; i++) {
            if (srcHalf) dst.setAtIndex(F32, dstOffset + i, Float.float16ToFloat(src.getAtIndex(F16, srcOffset + i)));
            else dst.setAtIndex(F16, dstOffset + i, Float.floatToFloat16(src.getAtIndex(F32, srcOffset + i)));
        }
    }
}
