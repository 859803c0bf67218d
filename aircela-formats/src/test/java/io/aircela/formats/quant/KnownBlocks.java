package io.aircela.formats.quant;

import io.aircela.quant.Fp16;
import io.aircela.tck.DequantizerContractTest.KnownBlock;

import java.util.List;

/**
 * Blocks with known contents: integer quants and scales chosen by hand, packed into ggml's layout
 * (written from the struct definitions, independently of the decoders), and the values they must
 * decode to computed from the chosen numbers. Scales are powers of two, so every expected value is exact.
 */
final class KnownBlocks {
    private KnownBlocks() {
    }

    private static void half(byte[] b, int off, float v) {
        short h = Fp16.fromFloat(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    /** Quants with a spread of values: (e * step + shift) mod n, for e = 0 .. count-1. */
    private static int[] pattern(int count, int step, int shift, int n) {
        int[] q = new int[count];
        for (int e = 0; e < count; e++) q[e] = (e * step + shift) % n;
        return q;
    }

    static List<KnownBlock> q4_0() {
        // the brief's example: d = 0.5, low nibbles 0..15, high nibbles 15..0
        byte[] b = new byte[18];
        half(b, 0, 0.5f);
        float[] y = new float[32];
        for (int j = 0; j < 16; j++) {
            b[2 + j] = (byte) (j | (15 - j) << 4);
            y[j] = (j - 8) * 0.5f;
            y[j + 16] = (15 - j - 8) * 0.5f;
        }
        return List.of(new KnownBlock("Q4_0 d=0.5, nibbles 0..15 / 15..0", b, y));
    }

    static List<KnownBlock> q4_1() {
        byte[] b = new byte[20];
        half(b, 0, 0.25f);
        half(b, 2, -1f);
        float[] y = new float[32];
        for (int j = 0; j < 16; j++) {
            b[4 + j] = (byte) (j | (15 - j) << 4);
            y[j] = j * 0.25f - 1f;
            y[j + 16] = (15 - j) * 0.25f - 1f;
        }
        return List.of(new KnownBlock("Q4_1 d=0.25 m=-1", b, y));
    }

    static List<KnownBlock> q8_0() {
        byte[] b = new byte[34];
        half(b, 0, -2f);
        float[] y = new float[32];
        for (int j = 0; j < 32; j++) {
            int q = j * 8 - 128; // -128 .. 120: both ends of int8
            b[2 + j] = (byte) q;
            y[j] = q * -2f;
        }
        return List.of(new KnownBlock("Q8_0 d=-2, quants -128..120", b, y));
    }

    static List<KnownBlock> q5_0() {
        return List.of(q5(false));
    }

    static List<KnownBlock> q5_1() {
        return List.of(q5(true));
    }

    private static KnownBlock q5(boolean withMin) {
        int[] q = pattern(32, 7, 3, 32);
        int base = withMin ? 4 : 2;
        byte[] b = new byte[withMin ? 24 : 22];
        half(b, 0, 0.5f);
        if (withMin) half(b, 2, 3f);
        int qh = 0;
        for (int e = 0; e < 32; e++) qh |= (q[e] >> 4) << e;
        for (int i = 0; i < 4; i++) b[base + i] = (byte) (qh >>> 8 * i);
        float[] y = new float[32];
        for (int j = 0; j < 16; j++) b[base + 4 + j] = (byte) ((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
        for (int e = 0; e < 32; e++) y[e] = withMin ? q[e] * 0.5f + 3f : (q[e] - 16) * 0.5f;
        return new KnownBlock(withMin ? "Q5_1 d=0.5 m=3" : "Q5_0 d=0.5", b, y);
    }

    static List<KnownBlock> q2_K() {
        int[] q = pattern(256, 3, 1, 4);
        int[] sc = pattern(16, 5, 2, 16);
        int[] mn = pattern(16, 11, 7, 16);
        byte[] b = new byte[84];
        for (int j = 0; j < 16; j++) b[j] = (byte) (sc[j] | mn[j] << 4);
        for (int e = 0; e < 256; e++) b[16 + 32 * (e / 128) + e % 32] |= (byte) (q[e] << 2 * (e % 128 / 32));
        half(b, 80, 0.5f);
        half(b, 82, 0.25f);
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) y[e] = 0.5f * sc[e / 16] * q[e] - 0.25f * mn[e / 16];
        return List.of(new KnownBlock("Q2_K d=0.5 dmin=0.25", b, y));
    }

    static List<KnownBlock> q3_K() {
        int[] q = pattern(256, 5, 2, 8);           // stored 0..7, decodes to q - 4
        int[] sc = {-32, -17, -1, 0, 1, 15, 16, 31, -5, 7, -20, 20, 3, -3, 9, -9};
        byte[] b = new byte[110];
        for (int e = 0; e < 256; e++) {
            b[e % 32] |= (byte) ((q[e] >> 2) << (e / 32));                        // hmask: high bit
            b[32 + 32 * (e / 128) + e % 32] |= (byte) ((q[e] & 3) << 2 * (e % 128 / 32)); // qs: low 2 bits
        }
        for (int j = 0; j < 16; j++) {
            int u = sc[j] + 32;
            if (j < 8) b[96 + j] |= (byte) (u & 0xF);
            else b[96 + j - 8] |= (byte) ((u & 0xF) << 4);
            b[96 + 8 + j % 4] |= (byte) ((u >> 4) << 2 * (j / 4));
        }
        half(b, 108, 0.5f);
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) y[e] = 0.5f * sc[e / 16] * (q[e] - 4);
        return List.of(new KnownBlock("Q3_K d=0.5, scales -32..31", b, y));
    }

    /** The 12 scale bytes of Q4_K/Q5_K for 6-bit scales and mins (inverse of get_scale_min_k4). */
    private static void packK4(byte[] b, int off, int[] sc, int[] mn) {
        for (int j = 0; j < 4; j++) {
            b[off + j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
            b[off + j + 4] = (byte) (mn[j] | (mn[j + 4] >> 4) << 6);
            b[off + j + 8] = (byte) ((sc[j + 4] & 0xF) | (mn[j + 4] & 0xF) << 4);
        }
    }

    private static final int[] K4_SCALES = {1, 63, 17, 32, 16, 48, 63, 5};
    private static final int[] K4_MINS = {0, 63, 33, 2, 31, 16, 47, 60};

    static List<KnownBlock> q4_K() {
        int[] q = pattern(256, 7, 5, 16);
        byte[] b = new byte[144];
        half(b, 0, 0.5f);
        half(b, 2, 0.25f);
        packK4(b, 4, K4_SCALES, K4_MINS);
        for (int e = 0; e < 256; e++) b[16 + 32 * (e / 64) + e % 32] |= (byte) (q[e] << (e % 64 < 32 ? 0 : 4));
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) y[e] = 0.5f * K4_SCALES[e / 32] * q[e] - 0.25f * K4_MINS[e / 32];
        return List.of(new KnownBlock("Q4_K d=0.5 dmin=0.25, 6-bit scales/mins incl. high bits", b, y));
    }

    static List<KnownBlock> q5_K() {
        int[] q = pattern(256, 13, 3, 32);
        byte[] b = new byte[176];
        half(b, 0, 0.5f);
        half(b, 2, 0.25f);
        packK4(b, 4, K4_SCALES, K4_MINS);
        for (int e = 0; e < 256; e++) {
            b[16 + e % 32] |= (byte) ((q[e] >> 4) << (e / 32));
            b[48 + 32 * (e / 64) + e % 32] |= (byte) ((q[e] & 0xF) << (e % 64 < 32 ? 0 : 4));
        }
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) y[e] = 0.5f * K4_SCALES[e / 32] * q[e] - 0.25f * K4_MINS[e / 32];
        return List.of(new KnownBlock("Q5_K d=0.5 dmin=0.25", b, y));
    }

    static List<KnownBlock> q6_K() {
        int[] q = pattern(256, 11, 9, 64);           // stored 0..63, decodes to q - 32
        int[] sc = {-128, 127, -1, 1, 64, -64, 0, 33, -7, 7, 100, -100, 2, -2, 50, -50};
        byte[] b = new byte[210];
        for (int e = 0; e < 256; e++) {
            int h = e / 128, quarter = e % 128 / 32, l = e % 32;
            b[64 * h + l + 32 * (quarter & 1)] |= (byte) ((q[e] & 0xF) << (quarter < 2 ? 0 : 4));
            b[128 + 32 * h + l] |= (byte) ((q[e] >> 4) << 2 * quarter);
        }
        for (int j = 0; j < 16; j++) b[192 + j] = (byte) sc[j];
        half(b, 208, 0.5f);
        float[] y = new float[256];
        for (int e = 0; e < 256; e++) y[e] = 0.5f * sc[e / 16] * (q[e] - 32);
        return List.of(new KnownBlock("Q6_K d=0.5, int8 scales -128..127", b, y));
    }

    static List<KnownBlock> f16() {
        return List.of(
                new KnownBlock("F16 1.0", new byte[] {0x00, 0x3C}, new float[] {1f}),
                new KnownBlock("F16 -2.0", new byte[] {0x00, (byte) 0xC0}, new float[] {-2f}),
                new KnownBlock("F16 max 65504", new byte[] {(byte) 0xFF, 0x7B}, new float[] {65504f}),
                new KnownBlock("F16 smallest subnormal 2^-24", new byte[] {0x01, 0x00}, new float[] {0x1p-24f}),
                new KnownBlock("F16 -0.0", new byte[] {0x00, (byte) 0x80}, new float[] {-0f}),
                new KnownBlock("F16 +Inf", new byte[] {0x00, 0x7C}, new float[] {Float.POSITIVE_INFINITY}));
    }

    static List<KnownBlock> bf16() {
        return List.of(
                new KnownBlock("BF16 1.0", new byte[] {(byte) 0x80, 0x3F}, new float[] {1f}),
                new KnownBlock("BF16 -3.0", new byte[] {0x40, (byte) 0xC0}, new float[] {-3f}),
                new KnownBlock("BF16 smallest subnormal 2^-133", new byte[] {0x01, 0x00}, new float[] {0x1p-133f}),
                new KnownBlock("BF16 largest finite", new byte[] {0x7F, 0x7F},
                        new float[] {Float.intBitsToFloat(0x7F7F0000)}));
    }
}
