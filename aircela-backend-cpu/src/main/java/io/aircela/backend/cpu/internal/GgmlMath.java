package io.aircela.backend.cpu.internal;

/**
 * Bit-exact scalar models of the few transcendental and reduction steps of ggml's x86 CPU backend
 * (the AVX-512 build llama.cpp's prebuilt CPU library picks on current x86 servers) whose rounding
 * differs from plain {@code (float) Math.exp}. Matching them bit for bit matters because llama.cpp later
 * rounds activations to fp16 and Q8: an ulp of difference here sometimes flips such a rounding and then
 * grows into visible logit differences. Stateless; thread-safe.
 */
public final class GgmlMath {
    /** ggml's SIMD loops (soft_max, swiglu) work in chunks of this many floats; tails use libm. */
    public static final int CHUNK = 16;

    private GgmlMath() {
    }

    /**
     * {@code ggml_v_expf} (AVX-512 version, vec.h): exp(x) as 2^n * p(b) with n = round(x / ln 2) and a
     * degree-5 polynomial, every step a float FMA/multiply; max error about 1.5 ulp. Infinite or |n| > 192:
     * 0 or infinity.
     */
    public static float expf(float x) {
        final float r = 0x1.8p23f;
        float z = Math.fma(x, 0x1.715476p+0f, r);
        float n = z - r;
        float b = Math.fma(-n, 0x1.7f7d1cp-20f, Math.fma(-n, 0x1.62e4p-1f, x));
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                        Math.fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                u, Math.fma(0x1.ffffecp-1f, b, 1.0f));
        if (Math.abs(n) > 192) return n <= 0 ? 0f : Float.POSITIVE_INFINITY;
        return Math.scalb(j, (int) n); // _mm512_scalef_ps(j, n): n is integral here
    }

    /** {@code ggml_v_silu}: {@code x / (1 + expf(0 - x))} with the SIMD {@link #expf}. */
    public static float silu(float x) {
        return x / (1.0f + expf(0.0f - x));
    }

    /** ggml's scalar tail {@code ggml_silu_f32}: {@code x / (1 + expf(-x))} with libm's (correctly rounded) expf. */
    public static float siluTail(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }

    /**
     * {@code _mm512_reduce_add_ps} of {@code v[o .. o+16)}: halves added lane-wise (8, then 4, then 2), then
     * the last two lanes; the tree both GCC and Clang emit.
     */
    public static float reduce16(float[] v, int o) {
        float a0 = v[o] + v[o + 8], a1 = v[o + 1] + v[o + 9], a2 = v[o + 2] + v[o + 10], a3 = v[o + 3] + v[o + 11];
        float a4 = v[o + 4] + v[o + 12], a5 = v[o + 5] + v[o + 13], a6 = v[o + 6] + v[o + 14], a7 = v[o + 7] + v[o + 15];
        float b0 = a0 + a4, b1 = a1 + a5, b2 = a2 + a6, b3 = a3 + a7;
        return (b0 + b2) + (b1 + b3);
    }

    /**
     * {@code hsum_float_8} (x86 quants.c) of {@code v[o .. o+8)}: {@code ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7))}.
     */
    public static float reduce8(float[] v, int o) {
        float a0 = v[o + 4] + v[o], a1 = v[o + 5] + v[o + 1], a2 = v[o + 6] + v[o + 2], a3 = v[o + 7] + v[o + 3];
        return (a0 + a2) + (a1 + a3);
    }
}
