package io.aircela.quant;

import java.util.Optional;

/**
 * Tensor element types as ggml numbers and spells them on disk. A quantized type stores
 * {@link #blockSize()} weights in {@link #bytesPerBlock()} bytes; plain types have block size 1.
 *
 * <p>The ids are ggml's {@code enum ggml_type}; ids that ggml retired (4, 5, 31-33, 36-38) are absent.
 */
public enum QuantType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    private static final QuantType[] BY_ID = new QuantType[64];

    static {
        for (QuantType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;

    QuantType(int id, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** ggml's numeric type id as stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Weights per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block occupies on disk. */
    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** {@code true} for block-quantized types (block size above 1). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** The type with this ggml id, or empty for unknown/retired ids. */
    public static Optional<QuantType> byId(long id) {
        if (id < 0 || id >= BY_ID.length) return Optional.empty();
        return Optional.ofNullable(BY_ID[(int) id]);
    }

    /** The type spelled this way on disk (case-insensitive), or empty. */
    public static Optional<QuantType> byName(String name) {
        for (QuantType t : values()) if (t.name().equalsIgnoreCase(name)) return Optional.of(t);
        return Optional.empty();
    }

    /**
     * Bytes needed for {@code elements} weights of this type.
     *
     * @throws IllegalArgumentException when {@code elements} is not a whole number of blocks
     * @throws ArithmeticException on overflow
     */
    public long byteSize(long elements) {
        if (elements % blockSize != 0)
            throw new IllegalArgumentException(elements + " elements is not a multiple of " + name()
                    + "'s block size " + blockSize);
        return Math.multiplyExact(elements / blockSize, (long) bytesPerBlock);
    }
}
