package io.aircela.quant;

/** Half- and bfloat16-precision conversions shared by every format that stores scales that way. */
public final class Fp16 {
    private Fp16() {
    }

    /** IEEE 754 binary16 bits to float (exact, subnormals and infinities included). */
    public static float toFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Float to IEEE 754 binary16 bits, round to nearest even. */
    public static short fromFloat(float f) {
        return Float.floatToFloat16(f);
    }

    /** bfloat16 bits (the upper half of a float) to float. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Float to bfloat16 bits, round to nearest even (as ggml does; NaN stays NaN). */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }
}
