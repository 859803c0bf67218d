package io.aircela.formats.quant;

import io.aircela.quant.Fp16;

/**
 * A second, deliberately different reading of ggml's {@code dequantize_row_*}: one weight at a time,
 * every index computed from the weight's position {@code e} (main code walks ggml's loops). The float
 * arithmetic keeps ggml's order of operations, so results must agree bit for bit.
 */
final class ReferenceDecoders {
    private ReferenceDecoders() {
    }

    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    static float half(byte[] b, int i) {
        return Fp16.toFloat((short) (u8(b, i) | u8(b, i + 1) << 8));
    }

    static long u32(byte[] b, int i) {
        return u8(b, i) | (long) u8(b, i + 1) << 8 | (long) u8(b, i + 2) << 16 | (long) u8(b, i + 3) << 24;
    }

    /** Nibble of weight e (0..31) in a 16-byte qs array at {@code qs}: low nibbles hold 0..15, high 16..31. */
    private static int nibble32(byte[] b, int qs, int e) {
        int v = u8(b, qs + e % 16);
        return e < 16 ? v & 0xF : v >> 4;
    }

    static float[] q8_0(byte[] b) {
        float[] y = new float[32];
        float d = half(b, 0);
        for (int e = 0; e < 32; e++) y[e] = b[2 + e] * d;
        return y;
    }

    static float[] q4_0(byte[] b) {
        float[] y = new float[32];
        float d = half(b, 0);
        for (int e = 0; e < 32; e++) y[e] = (nibble32(b, 2, e) - 8) * d;
        return y;
    }

    static float[] q4_1(byte[] b) {
        float[] y = new float[32];
        float d = half(b, 0), m = half(b, 2);
        for (int e = 0; e < 32; e++) y[e] = nibble32(b, 4, e) * d + m;
        return y;
    }

    static float[] q5_0(byte[] b) {
        float[] y = new float[32];
        float d = half(b, 0);
        long qh = u32(b, 2);
        for (int e = 0; e < 32; e++) y[e] = ((nibble32(b, 6, e) | (int) (qh >> e & 1) << 4) - 16) * d;
        return y;
    }

    static float[] q5_1(byte[] b) {
        float[] y = new float[32];
        float d = half(b, 0), m = half(b, 2);
        long qh = u32(b, 4);
        for (int e = 0; e < 32; e++) y[e] = (nibble32(b, 8, e) | (int) (qh >> e & 1) << 4) * d + m;
        return y;
    }

    /** 2-bit field of weight e in a 64-byte qs array: byte 32*(e/128) + e%32, bits 2*((e%128)/32). */
    private static int crumb(byte[] b, int qs, int e) {
        return u8(b, qs + 32 * (e / 128) + e % 32) >> 2 * (e % 128 / 32) & 3;
    }

    static float[] q2_K(byte[] b) {
        float[] y = new float[256];
        float d = half(b, 80), dmin = half(b, 82);
        for (int e = 0; e < 256; e++) {
            int sc = u8(b, e / 16);
            float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
            y[e] = dl * crumb(b, 16, e) - ml;
        }
        return y;
    }

    static float[] q3_K(byte[] b) {
        // ggml's own unpacking: three little-endian words, masks 0x03030303 / 0x0f0f0f0f, read as 16 bytes
        long a0 = u32(b, 96), a1 = u32(b, 100), tmp = u32(b, 104);
        long k1 = 0x03030303L, k2 = 0x0f0f0f0fL;
        long[] aux = {
                (a0 & k2) | ((tmp & k1) << 4),
                (a1 & k2) | (((tmp >> 2) & k1) << 4),
                ((a0 >> 4) & k2) | (((tmp >> 4) & k1) << 4),
                ((a1 >> 4) & k2) | (((tmp >> 6) & k1) << 4)};
        float dAll = half(b, 108);
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) {
            int is = e / 16;
            int sc = (byte) (aux[is / 4] >> 8 * (is % 4));
            float dl = dAll * (sc - 32);
            int high = u8(b, e % 32) >> (e / 32) & 1;
            y[e] = dl * (crumb(b, 32, e) - (high != 0 ? 0 : 4));
        }
        return y;
    }

    /** ggml's get_scale_min_k4, both outputs: {scale, min} of sub-block j from the 12 bytes at {@code q}. */
    static int[] scaleMinK4(byte[] b, int q, int j) {
        if (j < 4) return new int[] {u8(b, q + j) & 63, u8(b, q + j + 4) & 63};
        return new int[] {(u8(b, q + j + 4) & 0xF) | ((u8(b, q + j - 4) >> 6) << 4),
                (u8(b, q + j + 4) >> 4) | ((u8(b, q + j) >> 6) << 4)};
    }

    static float[] q4_K(byte[] b) {
        float d = half(b, 0), min = half(b, 2);
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) {
            int[] sm = scaleMinK4(b, 4, e / 32);
            int v = u8(b, 16 + 32 * (e / 64) + e % 32);
            int q = e % 64 < 32 ? v & 0xF : v >> 4;
            float d1 = d * sm[0], m1 = min * sm[1];
            y[e] = d1 * q - m1;
        }
        return y;
    }

    static float[] q5_K(byte[] b) {
        float d = half(b, 0), min = half(b, 2);
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) {
            int[] sm = scaleMinK4(b, 4, e / 32);
            int v = u8(b, 48 + 32 * (e / 64) + e % 32);
            int q = (e % 64 < 32 ? v & 0xF : v >> 4) + ((u8(b, 16 + e % 32) >> (e / 32) & 1) != 0 ? 16 : 0);
            float d1 = d * sm[0], m1 = min * sm[1];
            y[e] = d1 * q - m1;
        }
        return y;
    }

    static float[] q6_K(byte[] b) {
        float d = half(b, 208);
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) {
            int h = e / 128, quarter = e % 128 / 32, l = e % 32;
            int lowByte = u8(b, 64 * h + l + 32 * (quarter & 1));
            int low = quarter < 2 ? lowByte & 0xF : lowByte >> 4;
            int high = u8(b, 128 + 32 * h + l) >> 2 * quarter & 3;
            int q = (low | high << 4) - 32;
            y[e] = d * b[192 + e / 16] * q;
        }
        return y;
    }

    static float[] f16(byte[] b) {
        return new float[] {half(b, 0)};
    }

    static float[] bf16(byte[] b) {
        return new float[] {Float.intBitsToFloat((u8(b, 0) | u8(b, 1) << 8) << 16)};
    }

    static float[] f32(byte[] b) {
        return new float[] {Float.intBitsToFloat((int) u32(b, 0))};
    }
}
