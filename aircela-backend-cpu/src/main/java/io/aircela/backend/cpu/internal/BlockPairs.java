package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lane tables the two-block kernels of the 32-element formats with per-block scales ({@link Q4_1Kernel},
 * {@link Q5_0Kernel}, {@link Q5_1Kernel}) share: with 512-bit vectors one 64-byte load covers two blocks, their
 * elements go to short lanes j (block j / 16, element j % 16, low and high nibble in the two bytes), and the
 * products are summed by ggml's groups of four. Constants only: the kernels keep their vector code written out
 * (a vector passed to a call C2 does not inline is boxed).
 */
final class BlockPairs {
    /** The two-block path runs: vector kernels on at 512 bits. */
    static final boolean PAIRS = VectorWidth.ENABLED && VectorWidth.FLOATS.length() == 16;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Short> H = ShortVector.SPECIES_512;
    static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_512;
    /** Short lane j: shift e % 8 (the bit of its element within its qh bytes). */
    static final ShortVector SHIFTS = PAIRS ? ShortVector.fromArray(H, shorts(i -> i % 16 % 8), 0) : null;
    /**
     * {@code X.selectFrom(lo, hi) + Y.selectFrom(lo, hi)}: short lanes 2i + h of int lane i (block i / 8, group
     * i % 8: elements 4 (i % 8) .. + 3, in lo for groups 0..3, in hi for 4..7) get products 2h and 2h + 1 of the group.
     */
    static final ShortVector X = PAIRS ? ShortVector.fromArray(H, shorts(m -> group(m, 0)), 0) : null,
            Y = PAIRS ? ShortVector.fromArray(H, shorts(m -> group(m, 1)), 0) : null;
    /** The second block's eight group sums onto lanes 0..7. */
    static final VectorShuffle<Float> SWAP = PAIRS ? VectorShuffle.fromOp(F, i -> (i + 8) % 16) : null;
    static final VectorMask<Float> LOW8 = PAIRS ? F.indexInRange(0, 8) : null;

    private BlockPairs() {
    }

    /** Byte shuffle putting qs byte e (at {@code qsOffset} in blocks of {@code blockBytes}) into both bytes of short lane j. */
    static VectorShuffle<Byte> qs(int blockBytes, int qsOffset) {
        return PAIRS ? VectorShuffle.fromOp(BYTES, i -> blockBytes * (i / 32) + qsOffset + (i % 32) / 2) : null;
    }

    /**
     * Byte shuffle putting, for short lane j, the qh byte (at {@code qhOffset}) holding element e's 5th bit into the low
     * byte and the one holding element 16 + e's into the high byte.
     */
    static VectorShuffle<Byte> qh(int blockBytes, int qhOffset) {
        return PAIRS ? VectorShuffle.fromOp(BYTES, i -> blockBytes * (i / 32) + qhOffset + (i % 32) / 2 / 8 + 2 * (i % 2))
                : null;
    }

    private static int group(int m, int second) {
        int i = m / 2, h = m % 2, block = i / 8, grp = i % 8;
        int lane = 16 * block + 4 * (grp % 4) + 2 * h + second;
        return grp < 4 ? lane : lane + 32;
    }

    private static short[] shorts(java.util.function.IntUnaryOperator f) {
        short[] s = new short[32];
        for (int i = 0; i < 32; i++) s[i] = (short) f.applyAsInt(i);
        return s;
    }
}
