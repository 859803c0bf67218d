package io.aircela.backend.cpu.internal;

import io.aircela.weights.RopeStyle;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static io.aircela.backend.cpu.internal.WeightKernel.F16;
import static io.aircela.backend.cpu.internal.WeightKernel.F32;

/**
 * The element-wise and per-row ops on a range of rows or elements (the backend splits a prompt's over its
 * workers; every element's arithmetic is the same whichever range it falls in). The float arithmetic follows ggml's CPU ops step by step (double accumulators where ggml
 * uses {@code ggml_float}, float elsewhere) so that results land close to llama.cpp's.
 * All segments hold F32 unless a parameter says otherwise; offsets are in elements.
 */
public final class RowOps {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private RowOps() {
    }

    /**
     * ggml_compute_forward_rms_norm_f32 then ggml_mul on rows {@code [from, to)}:
     * {@code out = (x * (1 / sqrt(mean(x^2) + eps))) * w}. Rows are independent, so any split gives the same bits.
     */
    public static void rmsNorm(MemorySegment x, float[] weight, MemorySegment out, int from, int to, int dim, float eps) {
        for (int r = from; r < to; r++) {
            long o = (long) r * dim;
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                float v = x.getAtIndex(F32, o + i);
                sum += v * v;
            }
            float mean = (float) (sum / dim);
            float scale = 1.0f / (float) Math.sqrt(mean + eps);
            int i = 0;
            if (VectorWidth.ENABLED) {
                for (int upper = S.loopBound(dim); i < upper; i += S.length())
                    FloatVector.fromMemorySegment(S, x, (o + i) * 4, LE).mul(scale).mul(FloatVector.fromArray(S, weight, i))
                            .intoMemorySegment(out, (o + i) * 4, LE);
            }
            for (; i < dim; i++) out.setAtIndex(F32, o + i, (x.getAtIndex(F32, o + i) * scale) * weight[i]);
        }
    }

    /**
     * ggml's rope (ext_factor 0, freq_scale 1): per position the angle starts at {@code pos} and is
     * multiplied by {@code theta_scale = base^(-2 / ropeDims)} (in float) for each next pair, so the
     * rounding matches ggml's cache. NORMAL rotates pairs (2j, 2j+1); NEOX rotates (j, j + ropeDims/2).
     * Dimensions from {@code ropeDims} to {@code headDim} pass through. Rows {@code [from, to)}; {@code cos, sin}: scratch
     * of {@code ropeDims / 2}.
     */
    public static void rope(MemorySegment x, int from, int to, int heads, int headDim, int ropeDims, int startPos,
                            float base, RopeStyle style, float[] cos, float[] sin) {
        float thetaScale = (float) Math.pow(base, -2.0f / ropeDims);
        int half = ropeDims / 2;
        for (int r = from; r < to; r++) {
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
     * ggml_vec_swiglu_f32 on elements {@code [from, to)}: {@code out = silu(x) * up} with the SIMD {@link GgmlMath#silu}.
     * ggml runs it per row of the FFN width with a libm tail; we see one flat range, so for a width that is not a
     * multiple of 16 the tail elements of each row differ from ggml by an ulp or so.
     */
    public static void swiGlu(MemorySegment gate, MemorySegment up, MemorySegment out, long from, long to) {
        long i = from;
        if (VectorWidth.ENABLED) i = swiGluVector(gate, up, out, from, to);
        for (; i < to; i++) out.setAtIndex(F32, i, GgmlMath.silu(gate.getAtIndex(F32, i)) * up.getAtIndex(F32, i));
    }

    /**
     * {@link #swiGlu} on whole vectors from {@code from}; returns where the scalar tail starts. {@link GgmlMath#expf}
     * step for step on the lanes, as {@link AttentionTask#expChunksVector} (which explains the two-step scalb), written
     * inline because a vector crossing a call that C2 does not inline is boxed.
     */
    static long swiGluVector(MemorySegment gate, MemorySegment up, MemorySegment out, long from, long to) {
        final float r = 0x1.8p23f;
        FloatVector zero = FloatVector.zero(S), inf = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        FloatVector ln2hi = FloatVector.broadcast(S, 0x1.62e4p-1f), ln2lo = FloatVector.broadcast(S, 0x1.7f7d1cp-20f);
        long i = from;
        for (long upper = to - S.length(); i <= upper; i += S.length()) {
            FloatVector g = FloatVector.fromMemorySegment(S, gate, i * 4, LE);
            FloatVector x = zero.sub(g);
            FloatVector nf = x.fma(0x1.715476p+0f, r).sub(r);
            FloatVector minus = nf.neg();
            FloatVector b = minus.fma(ln2lo, minus.fma(ln2hi, x));
            FloatVector u = b.mul(b);
            FloatVector j = b.fma(0x1.0e4020p-7f, 0x1.573e2ep-5f).fma(u, b.fma(0x1.555e66p-3f, 0x1.fffdb6p-2f))
                    .fma(u, b.fma(0x1.ffffecp-1f, 1.0f));
            IntVector ni = (IntVector) nf.convert(VectorOperators.F2I, 0);
            IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
            IntVector n2 = ni.sub(n1);
            FloatVector e = j.mul(n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e = e.blend(zero.blend(inf, nf.compare(VectorOperators.GT, 0f)), nf.abs().compare(VectorOperators.GT, 192f));
            g.div(e.add(1.0f)).mul(FloatVector.fromMemorySegment(S, up, i * 4, LE)).intoMemorySegment(out, i * 4, LE);
        }
        return i;
    }

    /** {@code out[i] = a[i] + b[i % bCount]} for {@code i} in {@code [from, to)}. */
    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, long from, long to, long bCount) {
        long i = from;
        if (VectorWidth.ENABLED && bCount >= to) { // b[i % bCount] is b[i]: the residual adds
            for (long upper = to - S.length(); i <= upper; i += S.length())
                FloatVector.fromMemorySegment(S, a, i * 4, LE).add(FloatVector.fromMemorySegment(S, b, i * 4, LE))
                        .intoMemorySegment(out, i * 4, LE);
        }
        for (; i < to; i++) out.setAtIndex(F32, i, a.getAtIndex(F32, i) + b.getAtIndex(F32, i % bCount));
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
