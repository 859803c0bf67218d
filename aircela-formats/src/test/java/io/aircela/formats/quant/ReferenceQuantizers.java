package io.aircela.formats.quant;

import io.aircela.quant.Fp16;

/**
 * ggml's reference quantizers ({@code quantize_row_*_ref} in ggml-quants.c) for the simple formats,
 * written from the C for the round-trip tests. Each also reports the float scale it chose before the
 * scale was rounded to half precision, because the error bounds are stated in terms of it.
 */
final class ReferenceQuantizers {
    private ReferenceQuantizers() {
    }

    /** One quantized block and the float scale/min ggml computed (before rounding to fp16). */
    record Block(byte[] bytes, float d, float m) {
    }

    private static void putHalf(byte[] b, int off, float v) {
        short h = Fp16.fromFloat(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    private static void putU32(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++) b[off + i] = (byte) (v >>> 8 * i);
    }

    /** The value with the largest magnitude (first one on ties), as ggml's amax/max loop picks it. */
    private static float signedMax(float[] x, int o) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /** C's roundf: half away from zero. */
    private static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    static Block q8_0(float[] x, int o) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0.0f;
        byte[] b = new byte[34];
        putHalf(b, 0, d);
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) roundf(x[o + j] * id);
        return new Block(b, d, 0f);
    }

    static Block q4_0(float[] x, int o) {
        float d = signedMax(x, o) / -8;
        float id = d != 0f ? 1.0f / d : 0.0f;
        byte[] b = new byte[18];
        putHalf(b, 0, d);
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, (byte) (int) (x[o + j] * id + 8.5f));
            int xi1 = Math.min(15, (byte) (int) (x[o + 16 + j] * id + 8.5f));
            b[2 + j] = (byte) (xi0 | xi1 << 4);
        }
        return new Block(b, d, 0f);
    }

    static Block q4_1(float[] x, int o) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[o + j]);
            max = Math.max(max, x[o + j]);
        }
        float d = (max - min) / 15;
        float id = d != 0f ? 1.0f / d : 0.0f;
        byte[] b = new byte[20];
        putHalf(b, 0, d);
        putHalf(b, 2, min);
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, (byte) (int) ((x[o + j] - min) * id + 0.5f));
            int xi1 = Math.min(15, (byte) (int) ((x[o + 16 + j] - min) * id + 0.5f));
            b[4 + j] = (byte) (xi0 | xi1 << 4);
        }
        return new Block(b, d, min);
    }

    static Block q5_0(float[] x, int o) {
        float d = signedMax(x, o) / -16;
        float id = d != 0f ? 1.0f / d : 0.0f;
        byte[] b = new byte[22];
        putHalf(b, 0, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(31, (byte) (int) (x[o + j] * id + 16.5f));
            int xi1 = Math.min(31, (byte) (int) (x[o + 16 + j] * id + 16.5f));
            b[6 + j] = (byte) ((xi0 & 0xF) | (xi1 & 0xF) << 4);
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        putU32(b, 2, qh);
        return new Block(b, d, 0f);
    }

    static Block q5_1(float[] x, int o) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[o + j]);
            max = Math.max(max, x[o + j]);
        }
        float d = (max - min) / 31;
        float id = d != 0f ? 1.0f / d : 0.0f;
        byte[] b = new byte[24];
        putHalf(b, 0, d);
        putHalf(b, 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = (int) ((x[o + j] - min) * id + 0.5f) & 0xFF; // (uint8_t) cast, as in ggml
            int xi1 = (int) ((x[o + 16 + j] - min) * id + 0.5f) & 0xFF;
            b[8 + j] = (byte) ((xi0 & 0xF) | (xi1 & 0xF) << 4);
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        putU32(b, 4, qh);
        return new Block(b, d, min);
    }
}
