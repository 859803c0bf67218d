package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The activation rows {@code x (n, cols)} of one matmul, in the form its weight kernel consumes.
 * llama.cpp's CPU backend does not multiply quantized weights with float activations: it first
 * converts the activations to the weight type's "vec_dot_type" (Q8_0 or Q8_1 blocks for the 32-blocks
 * formats, fp16 for F16 weights). We do the same, once per matmul, so that results land where
 * llama.cpp's do and the inner loops are small-integer products.
 *
 * <p>Owned by one backend and reused across calls (arrays grow, never shrink): no allocation per token.
 */
public final class Activations {

    /** How a kernel wants the activations. */
    public enum Form {
        /** Plain floats. */
        FLOAT,
        /** Floats rounded to fp16 (F16 weights). */
        HALF,
        /** ggml Q8_0 blocks of 32: q, and d as fp16 (Q8_0, Q4_0 weights). */
        Q8_0,
        /** ggml Q8_1 blocks of 32: q, d as fp16, s = fp16(d * sum q) (Q4_1, Q5_1 weights). */
        Q8_1,
        /** ggml Q8_K blocks of 256: q, d as float, sums of 16 q in {@link #bsums} (K-quant weights). */
        Q8_K
    }

    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final int L = S.length();
    /** Vector quantization: vector kernels on and 8+ float lanes (a float vector's integers make a byte vector). */
    private static final boolean VQ = VectorWidth.ENABLED && L >= 8;
    private static final VectorSpecies<Byte> QB = VectorWidth.bytes(Math.max(64, 8 * L));
    private static final VectorSpecies<Short> QS = VectorWidth.shorts(Math.max(64, 16 * L));
    private static final VectorSpecies<Integer> QI = VectorWidth.ints(S.vectorBitSize());
    /** 1.5 * 2^23: {@code (y + RINT) - RINT} rounds {@code 0 <= y < 2^22} to the nearest integer, ties to even. */
    private static final float RINT = 12582912f;

    public static final int BLOCK = 32;
    /** Elements per Q8_K super-block. */
    public static final int BLOCK_K = 256;

    /** Raw activations, {@code (n, cols)}. */
    public float[] x = new float[0];
    /** Converted activations: fp16-rounded values or Q8 integers stored as floats, {@code (n, cols)}. */
    public float[] q = new float[0];
    /** The same Q8 integers as bytes (vector kernels reinterpret 4 of them as one int lane), {@code (n, cols)}. */
    public byte[] qb = new byte[0];
    /**
     * The Q8 integers once more as shorts, {@code (n, cols)}: {@link Q4_KKernel#dotVector} (Q8_K) and
     * {@link Q4_0Kernel#dotVector} (Q8_0) multiply in short lanes and would otherwise widen the same activation bytes
     * again for every weight row. Q8_K keeps the natural order; Q8_0/Q8_1 blocks are interleaved by pairs
     * ({@link #pairOrder}).
     */
    public short[] qs = new short[0];
    /** Q8 block scales (fp16 values), {@code (n, cols / 32)}; for Q8_K float scales, {@code (n, cols / 256)}. */
    public float[] d = new float[0];
    /** Q8_1 block sums {@code fp16(d * sum q)}, {@code (n, cols / 32)}. */
    public float[] s = new float[0];
    /** Q8_0/Q8_1 block sums {@code sum q} (exact integers), {@code (n, cols / 32)}. */
    public float[] sums = new float[0];
    /** Q8_K sums of each 16 consecutive q, {@code (n, cols / 16)}. */
    public int[] bsums = new int[0];
    /**
     * The prefill GEMM's activations ({@link PanelGemm}): the {@code vec_dot_type} values as floats (Q8 blocks
     * dequantized as {@code q * d}), interleaved by groups of {@link PanelGemm#RT} tokens,
     * {@code tiles[(g * cols + k) * RT + i]} = token {@code g * RT + i}, column {@code k}; padded with zeros.
     */
    public float[] tiles = new float[0];
    public int n;
    public int cols;

    /** Makes room for {@code n} rows of {@code cols}; {@link #x} is then filled by the caller. */
    public void reserve(int n, int cols) {
        int size = Math.multiplyExact(n, cols);
        if (x.length < size) {
            x = new float[size];
            q = new float[size];
            qb = new byte[size];
            qs = new short[size];
        }
        int blocks = size / BLOCK + 1;
        if (d.length < blocks) {
            d = new float[blocks];
            s = new float[blocks];
            sums = new float[blocks];
            bsums = new int[2 * blocks];
        }
        this.n = n;
        this.cols = cols;
    }

    /** Converts {@link #x} into {@code form}. */
    public void prepare(Form form) {
        prepareRows(form, 0, n);
    }

    /** {@link #prepare} for rows {@code [r0, r1)} only (rows are independent: threads may split them). */
    public void prepareRows(Form form, int r0, int r1) {
        int from = r0 * cols, to = r1 * cols;
        switch (form) {
            case FLOAT -> {
            }
            case HALF -> {
                for (int i = from; i < to; i++) q[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
            }
            case Q8_0, Q8_1 -> {
                assert cols % BLOCK == 0;
                for (int b = from / BLOCK; b < to / BLOCK; b++) quantizeBlock(b, form == Form.Q8_1, VQ);
            }
            case Q8_K -> {
                assert cols % BLOCK_K == 0;
                for (int b = from / BLOCK_K; b < to / BLOCK_K; b++) quantizeBlockK(b, VQ);
            }
        }
    }

    /**
     * {@link Q8_0Gemm}'s activations: the Q8_0 integers of each token in the order its passes read them,
     * {@code qp[t cols + (g nb + b) 4 + c] = q[t cols + 32 b + 4 g + c]} (pass g of 8 reads columns 4g .. 4g+3 of every
     * block b; {@code nb = cols / 32}), so a pass walks one contiguous run.
     */
    public float[] qp = new float[0];

    /** Makes room for {@link #qp}; call before {@link #preparePassRows}. */
    public void reservePasses() {
        int size = Math.multiplyExact(n, cols);
        if (qp.length < size) qp = new float[size];
    }

    /** Fills {@link #qp} for tokens {@code [t0, t1)} from the Q8_0 integers {@link #prepareRows} left. */
    public void preparePassRows(int t0, int t1) {
        int nb = cols / BLOCK;
        for (int t = t0; t < t1; t++) {
            int o = t * cols;
            for (int g = 0; g < 8; g++)
                for (int b = 0; b < nb; b++) System.arraycopy(q, o + BLOCK * b + 4 * g, qp, o + (g * nb + b) * 4, 4);
        }
    }

    /** Fills {@link #tiles} from the {@code form} values {@link #prepare} left. */
    public void prepareTiles(Form form) {
        reserveTiles();
        prepareTileRows(form, 0, tileTokens());
    }

    /** Tokens {@link #tiles} holds: {@link #n} rounded up to whole token groups. */
    public int tileTokens() {
        return (n + PanelGemm.RT - 1) / PanelGemm.RT * PanelGemm.RT;
    }

    /** Makes room for {@link #tiles}; call before {@link #prepareTileRows}. */
    public void reserveTiles() {
        int size = Math.multiplyExact(tileTokens(), cols);
        if (tiles.length < size) tiles = new float[size];
    }

    /** {@link #prepareTiles} for tokens {@code [t0, t1)} (up to the padded count, whose extra tokens are zeros). */
    public void prepareTileRows(Form form, int t0, int t1) {
        int rt = PanelGemm.RT;
        for (int t = t0; t < t1; t++) {
            int base = (t / rt * cols) * rt + t % rt;
            if (t >= n) {
                for (int k = 0; k < cols; k++) tiles[base + k * rt] = 0f;
                continue;
            }
            int o = t * cols;
            switch (form) {
                case FLOAT -> {
                    for (int k = 0; k < cols; k++) tiles[base + k * rt] = x[o + k];
                }
                case HALF -> {
                    for (int k = 0; k < cols; k++) tiles[base + k * rt] = q[o + k];
                }
                case Q8_0, Q8_1 -> {
                    for (int k = 0; k < cols; k++) tiles[base + k * rt] = q[o + k] * d[(o + k) / BLOCK];
                }
                case Q8_K -> {
                    for (int k = 0; k < cols; k++) tiles[base + k * rt] = q[o + k] * d[(o + k) / BLOCK_K];
                }
            }
        }
    }

    /**
     * ggml's x86 {@code quantize_row_q8_0} / {@code quantize_row_q8_1} (the AVX2 code the prebuilt CPU
     * library runs): d = amax / 127 stored as fp16, q = round-half-even(x * (127 / amax)); Q8_1 also
     * s = fp16(d * sum q) with the unrounded d. (The portable {@code _ref} versions multiply by 1 / d and
     * round half away from zero; that flips a few q per row by one, enough to move logits by 1e-3.)
     */
    /**
     * ggml's {@code quantize_row_q8_0}/{@code _q8_1} for block {@code b}: {@code d = amax / 127}, {@code q = rint(x * 127 /
     * amax)}; in vector lanes when {@code vector} (bit for bit the scalar loop: the same products, rint as an exact
     * add/subtract of 1.5 * 2^23 on |y| with y's sign put back; a block with an infinite or NaN element, or whose
     * inverse scale overflows, takes the scalar loop). Decode quantizes every matmul input on the calling thread
     * while the workers wait, so this is on the critical path.
     */
    void quantizeBlock(int b, boolean withSum, boolean vector) {
        int o = b * BLOCK;
        float amax = 0f;
        if (vector) {
            FloatVector m = FloatVector.zero(S);
            for (int j = 0; j < BLOCK; j += L) m = m.max(FloatVector.fromArray(S, x, o + j).abs());
            amax = m.reduceLanes(VectorOperators.MAX);
        } else for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float dd = amax / 127f;
        float id = amax != 0f ? 127f / amax : 0f;
        int sum = 0, qlo = pairOrder(b, 0), qhi = pairOrder(b, 16);
        if (vector && amax <= Float.MAX_VALUE && id <= Float.MAX_VALUE) { // |x * id| <= 127 (+ rounding)
            IntVector sums = IntVector.zero(QI);
            for (int j = 0; j < BLOCK; j += L) {
                FloatVector y = FloatVector.fromArray(S, x, o + j).mul(id);
                FloatVector v = y.abs().add(RINT).sub(RINT).reinterpretAsInts()
                        .or(y.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
                v.intoArray(q, o + j);
                IntVector iv = (IntVector) v.convert(VectorOperators.F2I, 0);
                ((ByteVector) iv.convertShape(VectorOperators.I2B, QB, 0)).intoArray(qb, o + j);
                ((ShortVector) iv.convertShape(VectorOperators.I2S, QS, 0)).intoArray(qs, j < 16 ? qlo + j : qhi + j - 16);
                sums = sums.add(iv);
            }
            sum = sums.reduceLanes(VectorOperators.ADD);
        } else {
            for (int j = 0; j < BLOCK; j++) {
                float v = (float) Math.rint(x[o + j] * id);
                q[o + j] = v;
                qb[o + j] = (byte) v;
                qs[j < 16 ? qlo + j : qhi + j - 16] = (short) v;
                sum += (int) v;
            }
        }
        d[b] = half(dd);
        s[b] = withSum ? half(dd * sum) : 0f;
        sums[b] = sum;
    }

    /**
     * Where {@link #qs} keeps element j of Q8_0/Q8_1 block b: blocks in pairs within their row, the pair's 64 shorts
     * ordered as {@code [first block 0..15, second 0..15, first 16..31, second 16..31]} ({@link Q4_0Kernel#dotVector}
     * reads two blocks' low nibbles, then their high nibbles, each from one vector); the last block of an odd count in
     * its natural place.
     */
    private int pairOrder(int b, int j) {
        int nb = cols / BLOCK, i = b % nb;
        if ((i ^ 1) >= nb) return b * BLOCK + j;
        return (b - (i & 1)) * BLOCK + (j < 16 ? 0 : 32) + (i & 1) * 16 + j % 16;
    }

    /**
     * ggml's {@code quantize_row_q8_K} (the x86 build calls the reference code): the element of largest
     * magnitude (the first one) fixes {@code iscale = -127 / max}; {@code q = min(127, nearest_int(iscale * x))}
     * with nearest_int's round-half-even; {@code d = 1 / iscale} as a float; then the sums of each 16 q.
     */
    void quantizeBlockK(int b, boolean vector) {
        int o = b * BLOCK_K;
        float amax = 0f, max = 0f;
        if (vector) {
            FloatVector m = FloatVector.zero(S);
            for (int j = 0; j < BLOCK_K; j += L) m = m.max(FloatVector.fromArray(S, x, o + j).abs());
            amax = m.reduceLanes(VectorOperators.MAX);
            vector = amax <= Float.MAX_VALUE; // NaN (which the scalar scan skips) or infinity: the scalar loop
            if (vector && amax != 0f) {
                int j = 0;
                while (Math.abs(x[o + j]) != amax) j++; // the first element of largest magnitude, as the scan keeps
                max = x[o + j];
            }
        }
        if (!vector) {
            amax = 0f;
            for (int j = 0; j < BLOCK_K; j++) {
                float ax = Math.abs(x[o + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[o + j];
                }
            }
        }
        float iscale = amax != 0f ? -127f / max : 0f;
        if (vector && Math.abs(iscale) <= Float.MAX_VALUE) { // |x * iscale| <= 127 (+ rounding)
            for (int g = 0; g < BLOCK_K / 16; g++) {
                IntVector sums = IntVector.zero(QI);
                for (int j = 16 * g; j < 16 * g + 16; j += L) {
                    FloatVector y = FloatVector.fromArray(S, x, o + j).mul(iscale);
                    FloatVector v = y.abs().add(RINT).sub(RINT).reinterpretAsInts()
                            .or(y.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats().min(127f);
                    v.intoArray(q, o + j);
                    IntVector iv = (IntVector) v.convert(VectorOperators.F2I, 0);
                    ((ByteVector) iv.convertShape(VectorOperators.I2B, QB, 0)).intoArray(qb, o + j);
                    ((ShortVector) iv.convertShape(VectorOperators.I2S, QS, 0)).intoArray(qs, o + j);
                    sums = sums.add(iv);
                }
                bsums[b * (BLOCK_K / 16) + g] = sums.reduceLanes(VectorOperators.ADD);
            }
        } else {
            for (int j = 0; j < BLOCK_K; j++) {
                float v = Math.min(127f, (float) Math.rint(iscale * x[o + j]));
                q[o + j] = v;
                qb[o + j] = (byte) v;
                qs[o + j] = (short) v;
            }
            for (int g = 0; g < BLOCK_K / 16; g++) {
                int sum = 0;
                for (int j = 0; j < 16; j++) sum += qb[o + 16 * g + j];
                bsums[b * (BLOCK_K / 16) + g] = sum;
            }
        }
        d[b] = amax != 0f ? 1f / iscale : 0f;
    }

    /** C's roundf: ties away from zero (Math.round ties toward +infinity). Done in double: exact. */
    static float roundAwayFromZero(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (float) (v < 0 ? -r : r);
    }

    static float half(float f) {
        return Float.float16ToFloat(Float.floatToFloat16(f));
    }
}
