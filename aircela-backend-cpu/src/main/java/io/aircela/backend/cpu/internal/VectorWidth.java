package io.aircela.backend.cpu.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector species every kernel uses, chosen once per JVM: the CPU's preferred width, or the
 * system property {@code aircela.vector.bits} (64, 128, 256 or 512; 0 = scalar twins only).
 * Chosen once because the JIT compiles Vector API code well only when the species is a constant.
 */
public final class VectorWidth {
    /** System property that overrides the width. */
    public static final String PROPERTY = "aircela.vector.bits";

    /** Lanes are float; kernels never run vector code when {@link #ENABLED} is false. */
    public static final VectorSpecies<Float> FLOATS;
    /** Whether the vector kernels are used (false: the scalar twins). */
    public static final boolean ENABLED;
    /** Why the property was rejected, or null when it was fine or absent. */
    public static final String PROBLEM;

    static {
        String requested = System.getProperty(PROPERTY);
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        if (preferred.vectorBitSize() > 512) preferred = FloatVector.SPECIES_512; // kernels assume <= 16 lanes
        VectorSpecies<Float> chosen = preferred;
        boolean enabled = preferred.length() >= 2;
        String problem = null;
        if (requested != null && !requested.isBlank()) {
            switch (requested.strip()) {
                case "0" -> enabled = false;
                case "64", "128", "256", "512" -> chosen = FloatVector.SPECIES_PREFERRED.vectorBitSize()
                        >= Integer.parseInt(requested.strip())
                        ? VectorSpecies.of(float.class, VectorShape.forBitSize(Integer.parseInt(requested.strip())))
                        : preferred;
                default -> problem = PROPERTY + " must be 0, 64, 128, 256 or 512, was '" + requested + "'";
            }
        }
        FLOATS = chosen;
        ENABLED = enabled;
        PROBLEM = problem;
    }

    private VectorWidth() {
    }

    /** {@link #sum}'s shuffles: {@code ROTATE_k} moves lane {@code (j + k) mod n} onto lane {@code j}. */
    static final VectorShuffle<Float> ROTATE_8 = rotation(8), ROTATE_4 = rotation(4), ROTATE_2 = rotation(2),
            ROTATE_1 = rotation(1);

    /**
     * The sum of the lanes of {@code v} (a {@link #FLOATS} vector) in a FIXED order: upper half added lane-wise onto
     * the lower half, again and again, then lane 0 (for 16 lanes ggml's {@code _mm512_reduce_add_ps} tree,
     * {@link GgmlMath#reduce16}). {@code reduceLanes(ADD)} may add in another order once C2 compiles the
     * caller than the interpreter did, so the same input could give last-bit different sums within one JVM;
     * lane-wise adds and permutations are exact and the same whatever runs them. Straight-line code with constant
     * shuffles, so that C2 keeps the vector in registers.
     *
     * <p>Hot kernels do NOT call this: a vector argument is boxed (a heap allocation per call) whenever C2 does not
     * inline the call, and C2 stops inlining a callee once it has been compiled on its own into more than
     * {@code InlineSmallCode} bytes (which happens as soon as one big caller, e.g. a prefill tile kernel, runs out
     * of inlining budget). A decode after a long prefill then allocated a vector per weight row and ran 40% slower.
     * Kernels write the same four steps inline ({@code v = v.add(v.rearrange(ROTATE_8))} ...) instead.
     */
    public static float sum(FloatVector v) {
        int n = v.length();
        if (n >= 16) v = v.add(v.rearrange(ROTATE_8));
        if (n >= 8) v = v.add(v.rearrange(ROTATE_4));
        if (n >= 4) v = v.add(v.rearrange(ROTATE_2));
        if (n >= 2) v = v.add(v.rearrange(ROTATE_1));
        return v.lane(0);
    }

    private static VectorShuffle<Float> rotation(int k) {
        int n = FLOATS.length();
        return VectorShuffle.fromOp(FLOATS, j -> (j + k) % n);
    }

    /*
     * Species of other lane types, always one of the JDK's SPECIES_* constants: a species looked up with
     * VectorSpecies.of(type, shape) and kept in a static final field was, in some compilations, not folded to its
     * vector class by C2, so every lanewise call on it stayed virtual and ran the boxed Java fallback (a repacked gemv
     * measured 500x slower).
     */

    /** The byte species of {@code bits} (64 to 512) bits. */
    static VectorSpecies<Byte> bytes(int bits) {
        return switch (bits) {
            case 64 -> ByteVector.SPECIES_64;
            case 128 -> ByteVector.SPECIES_128;
            case 256 -> ByteVector.SPECIES_256;
            default -> ByteVector.SPECIES_512;
        };
    }

    /** The short species of {@code bits} (64 to 512) bits. */
    static VectorSpecies<Short> shorts(int bits) {
        return switch (bits) {
            case 64 -> ShortVector.SPECIES_64;
            case 128 -> ShortVector.SPECIES_128;
            case 256 -> ShortVector.SPECIES_256;
            default -> ShortVector.SPECIES_512;
        };
    }

    /** The int species of {@code bits} (64 to 512) bits. */
    static VectorSpecies<Integer> ints(int bits) {
        return switch (bits) {
            case 64 -> IntVector.SPECIES_64;
            case 128 -> IntVector.SPECIES_128;
            case 256 -> IntVector.SPECIES_256;
            default -> IntVector.SPECIES_512;
        };
    }

    /** The long species of {@code bits} (64 to 512) bits. */
    static VectorSpecies<Long> longs(int bits) {
        return switch (bits) {
            case 64 -> LongVector.SPECIES_64;
            case 128 -> LongVector.SPECIES_128;
            case 256 -> LongVector.SPECIES_256;
            default -> LongVector.SPECIES_512;
        };
    }

    /** The float species of {@code bits} (64 to 512) bits, whatever {@link #FLOATS} is. */
    static VectorSpecies<Float> floats(int bits) {
        return switch (bits) {
            case 64 -> FloatVector.SPECIES_64;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            default -> FloatVector.SPECIES_512;
        };
    }

    /** Bits per vector in use; 0 when the scalar twins run. */
    public static int bits() {
        return ENABLED ? FLOATS.vectorBitSize() : 0;
    }
}
