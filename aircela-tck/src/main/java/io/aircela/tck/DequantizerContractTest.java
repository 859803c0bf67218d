package io.aircela.tck;

import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;
import io.aircela.quant.QuantType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract every {@link Dequantizer}, built-in or plug-in, passes. Subclass it in a few lines:
 * <pre>{@code
 * class Q4_0DequantizerContractTest extends DequantizerContractTest {
 *     protected Dequantizer dequantizer() { return new Q4_0Dequantizer(); }
 *     protected int[] halfScaleOffsets() { return new int[] {0}; }          // block_q4_0.d
 * }
 * }</pre>
 * Checks: the type name matches {@link QuantType} where ggml knows it; block geometry; random blocks
 * (seeded, finite scales) decode to finite floats; N blocks at once equal N single blocks, with
 * {@code srcOffset}/{@code dstOffset} honored and nothing written outside {@code [dstOffset, dstOffset+count)};
 * {@code dot} equals the dot of {@code dequantize} within {@link #dotTolerance()}; discovery through
 * {@link ServiceLoader} and {@link Providers#dequantizer}; zero scales decode to zeros; typed errors for
 * bad arguments; identical results from several threads; and, when given, bit-for-bit agreement with a
 * {@link #referenceDecoder() reference decoder} and {@link #knownBlocks() known blocks}.
 */
public abstract class DequantizerContractTest {
    /** A NaN with a payload no decoder produces: marks array slots that must stay untouched. */
    private static final int SENTINEL_BITS = 0x7fc0_dead;

    /** Decodes one block independently of the implementation under test (a second opinion). */
    @FunctionalInterface
    public interface BlockDecoder {
        /** The {@code blockSize()} weights stored in {@code block} ({@code bytesPerBlock()} bytes). */
        float[] decode(byte[] block);
    }

    /**
     * A block whose decoded values are known exactly.
     *
     * @param name     what the block shows, for messages
     * @param bytes    the stored block ({@code bytesPerBlock()} bytes)
     * @param expected the {@code blockSize()} weights it must decode to, bit for bit
     */
    public record KnownBlock(String name, byte[] bytes, float[] expected) {
    }

    /** The dequantizer under test. */
    protected abstract Dequantizer dequantizer();

    /**
     * Byte offsets, inside one block, of its IEEE half-precision scale fields ({@code d}, and {@code m} or
     * {@code dmin} where the format has them). Random blocks get finite values there; the zero-scale test
     * zeroes them. Default: none (then override {@link #randomBlock} and {@link #zeroScaleBlock}).
     */
    protected int[] halfScaleOffsets() {
        return new int[0];
    }

    /**
     * One random block with finite scales. Default: random bytes with every {@link #halfScaleOffsets()}
     * field set to a random finite half (any magnitude, subnormals included).
     */
    protected byte[] randomBlock(Random rnd) {
        byte[] b = new byte[dequantizer().bytesPerBlock()];
        rnd.nextBytes(b);
        for (int off : halfScaleOffsets()) {
            int bits = rnd.nextInt(0x10000);
            if ((bits & 0x7C00) == 0x7C00) bits &= ~0x4000; // exponent all ones = Inf/NaN: make it finite
            b[off] = (byte) bits;
            b[off + 1] = (byte) (bits >>> 8);
        }
        return b;
    }

    /**
     * A random block whose scales are all zero (it must decode to zeros), or empty when the format has no
     * such notion. Default: {@link #randomBlock} with the half scales zeroed; empty when none are declared.
     */
    protected Optional<byte[]> zeroScaleBlock(Random rnd) {
        if (halfScaleOffsets().length == 0) return Optional.empty();
        byte[] b = randomBlock(rnd);
        for (int off : halfScaleOffsets()) {
            b[off] = 0;
            b[off + 1] = 0;
        }
        return Optional.of(b);
    }

    /** An independent decoder to compare with bit for bit, or empty. */
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.empty();
    }

    /** Blocks with known decoded values (bit for bit). Default: none. */
    protected List<KnownBlock> knownBlocks() {
        return List.of();
    }

    /**
     * Allowed |dot - sum(w_i x_i)| relative to sum(|w_i x_i|), where w is what {@code dequantize} gives.
     * A fused loop may reorder the float sums; the default allows that, not a wrong weight.
     */
    protected double dotTolerance() {
        return 2e-5;
    }

    /** Seed of the random data (tests are deterministic). */
    protected long seed() {
        return 0x5EED_A1C3L;
    }

    // ------------------------------------------------------------------ identity and geometry

    @Test
    void typeNameIsOnDiskSpellingAndMatchesQuantType() {
        Dequantizer d = dequantizer();
        String name = d.typeName();
        assertTrue(name != null && !name.isBlank(), "typeName must be set");
        assertEquals(name.toUpperCase(Locale.ROOT), name, "type names are spelled as ggml does (upper case)");
        Optional<QuantType> known = QuantType.byName(name);
        if (known.isEmpty()) return; // a format ggml does not know: nothing to match
        assertEquals(known.get().name(), name);
        assertEquals(known.get().blockSize(), d.blockSize(), name + " block size differs from QuantType's");
        assertEquals(known.get().bytesPerBlock(), d.bytesPerBlock(), name + " bytes per block differ from QuantType's");
    }

    @Test
    void blockGeometryIsConsistent() {
        Dequantizer d = dequantizer();
        assertTrue(d.blockSize() > 0 && d.bytesPerBlock() > 0, "block size and bytes per block must be positive");
        assertEquals(0L, d.byteSize(0));
        assertEquals(7L * d.bytesPerBlock(), d.byteSize(7L * d.blockSize()));
        if (d.blockSize() > 1) assertThrows(IllegalArgumentException.class, () -> d.byteSize(d.blockSize() + 1L));
        assertEquals(d.bytesPerBlock(), randomBlock(new Random(seed())).length, "randomBlock() length");
    }

    // ------------------------------------------------------------------ decoding

    @Test
    void randomBlocksWithFiniteScalesDecodeToFiniteFloats() {
        Dequantizer d = dequantizer();
        Random rnd = new Random(seed());
        float[] out = new float[d.blockSize()];
        for (int t = 0; t < 500; t++) {
            byte[] block = randomBlock(rnd);
            d.dequantize(MemorySegment.ofArray(block), 0, out, 0, d.blockSize());
            for (int j = 0; j < out.length; j++)
                if (!Float.isFinite(out[j])) fail("block " + t + " weight " + j + " decoded to " + out[j]
                        + "; block bytes " + Arrays.toString(block));
        }
    }

    @Test
    void manyBlocksEqualBlockByBlockWithOffsetsAndNoStrayWrites() {
        Dequantizer d = dequantizer();
        int bs = d.blockSize(), bpb = d.bytesPerBlock();
        int n = blocksPerRun();
        byte[][] blocks = randomBlocks(n, new Random(seed() + 1));
        float[][] single = new float[n][];
        for (int i = 0; i < n; i++) single[i] = decode(d, blocks[i]);

        int srcOffset = 3; // deliberately unaligned
        int dstOffset = 5;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(srcOffset + (long) n * bpb + 7);
            for (int i = 0; i < n; i++) MemorySegment.copy(blocks[i], 0, seg, ValueLayout.JAVA_BYTE,
                    srcOffset + (long) i * bpb, bpb);
            float[] dst = sentinels(dstOffset + n * bs + 9);
            d.dequantize(seg, srcOffset, dst, dstOffset, n * bs);
            assertUntouched(dst, 0, dstOffset);
            assertUntouched(dst, dstOffset + n * bs, dst.length);
            for (int i = 0; i < n; i++)
                assertBits(single[i], Arrays.copyOfRange(dst, dstOffset + i * bs, dstOffset + (i + 1) * bs),
                        "block " + i + " of a " + n + "-block run");

            // a middle slice: blocks [2, n-1) read at their own byte offset
            float[] part = sentinels((n - 3) * bs + 2);
            d.dequantize(seg, srcOffset + 2L * bpb, part, 1, (n - 3) * bs);
            assertUntouched(part, 0, 1);
            assertUntouched(part, part.length - 1, part.length);
            for (int i = 2; i < n - 1; i++)
                assertBits(single[i], Arrays.copyOfRange(part, 1 + (i - 2) * bs, 1 + (i - 1) * bs),
                        "block " + i + " read from the middle of the run");

            float[] none = sentinels(4);
            d.dequantize(seg, srcOffset, none, 2, 0);
            assertUntouched(none, 0, none.length);
        }
    }

    @Test
    void zeroScalesDecodeToZeros() {
        Dequantizer d = dequantizer();
        Random rnd = new Random(seed() + 2);
        Optional<byte[]> probe = zeroScaleBlock(rnd);
        Assumptions.assumeTrue(probe.isPresent(), d.typeName() + " declares no scales (halfScaleOffsets/zeroScaleBlock)");
        float[] x = gaussians(d.blockSize(), rnd);
        for (int t = 0; t < 50; t++) {
            byte[] block = zeroScaleBlock(rnd).orElseThrow();
            float[] out = decode(d, block);
            for (int j = 0; j < out.length; j++)
                assertEquals(0f, out[j], 0f, "weight " + j + " of a zero-scale block; bytes " + Arrays.toString(block));
            assertEquals(0f, d.dot(MemorySegment.ofArray(block), 0, x, 0, d.blockSize()), 0f, "dot of a zero-scale block");
        }
    }

    @Test
    void agreesWithReferenceDecoderBitForBit() {
        Optional<BlockDecoder> ref = referenceDecoder();
        Assumptions.assumeTrue(ref.isPresent(), "no reference decoder given");
        Dequantizer d = dequantizer();
        Random rnd = new Random(seed() + 3);
        for (int t = 0; t < 300; t++) {
            byte[] block = randomBlock(rnd);
            assertBits(ref.get().decode(block), decode(d, block), "random block " + t + " " + Arrays.toString(block));
        }
    }

    @Test
    void knownBlocksDecodeExactly() {
        List<KnownBlock> known = knownBlocks();
        Assumptions.assumeFalse(known.isEmpty(), "no known blocks given");
        for (KnownBlock k : known) assertBits(k.expected(), decode(dequantizer(), k.bytes()), k.name());
    }

    // ------------------------------------------------------------------ dot

    @Test
    void dotEqualsDotOfDequantizePerBlockAndOverRuns() {
        Dequantizer d = dequantizer();
        Random rnd = new Random(seed() + 4);
        int bs = d.blockSize();
        int group = Math.max(bs, 32 / bs * bs); // plain types: groups of 32 weights
        for (int t = 0; t < 40; t++) {
            byte[] bytes = concat(randomBlocks(group / bs, rnd));
            float[] x = gaussians(group + 3, rnd);
            assertDot(d, bytes, 0, x, 3, group, "group " + t);
        }
        int n = blocksPerRun();
        byte[] run = concat(randomBlocks(n, rnd));
        byte[] shifted = new byte[run.length + 5];
        System.arraycopy(run, 0, shifted, 5, run.length);
        float[] x = gaussians(n * bs + 11, rnd);
        assertDot(d, shifted, 5, x, 11, n * bs, n + "-block run");
        assertEquals(0f, d.dot(MemorySegment.ofArray(run), 0, x, 0, 0), 0f, "dot over zero weights");
    }

    private void assertDot(Dequantizer d, byte[] bytes, long srcOffset, float[] x, int xOffset, int count, String what) {
        MemorySegment seg = MemorySegment.ofArray(bytes);
        float[] w = new float[count];
        d.dequantize(seg, srcOffset, w, 0, count);
        double exact = 0, magnitude = 0;
        for (int i = 0; i < count; i++) {
            double p = (double) w[i] * x[xOffset + i];
            exact += p;
            magnitude += Math.abs(p);
        }
        // near float's range a float accumulator may legitimately overflow: no verdict is possible there
        if (!(magnitude < Float.MAX_VALUE / 64)) return;
        float got = d.dot(seg, srcOffset, x, xOffset, count);
        double allowed = dotTolerance() * magnitude + Float.MIN_NORMAL;
        assertTrue(Math.abs(got - exact) <= allowed, what + ": dot " + got + " but dequantize-then-dot "
                + exact + " (allowed error " + allowed + ")");
    }

    // ------------------------------------------------------------------ discovery

    @Test
    void foundThroughServiceLoaderAndRegistry() {
        Dequantizer d = dequantizer();
        List<String> names = new ArrayList<>();
        boolean found = false;
        for (DequantizerProvider p : ServiceLoader.load(DequantizerProvider.class)) {
            names.add(p.typeName());
            if (!p.typeName().equals(d.typeName())) continue;
            Dequantizer made = p.create();
            found |= made.getClass() == d.getClass();
            assertEquals(p.typeName(), made.typeName(), "provider and dequantizer disagree on the type name");
        }
        assertTrue(found, "no DequantizerProvider for " + d.typeName() + " makes a " + d.getClass().getName()
                + "; ServiceLoader found " + names + " (declare it in module-info and META-INF/services)");
        assertEquals(d.getClass(), Providers.dequantizer(d.typeName()).getClass(), "Providers.dequantizer(\""
                + d.typeName() + "\") resolves to another implementation");
        assertEquals(d.getClass(), Providers.dequantizer(d.typeName().toLowerCase(Locale.ROOT)).getClass(),
                "lookup is case-insensitive");
    }

    // ------------------------------------------------------------------ bad arguments

    @Test
    void badArgumentsFailWithTypedErrorsBeforeWriting() {
        Dequantizer d = dequantizer();
        int bs = d.blockSize();
        MemorySegment two = MemorySegment.ofArray(concat(randomBlocks(2, new Random(seed() + 5))));
        float[] dst = sentinels(3 * bs);
        float[] x = new float[3 * bs];
        assertThrows(IllegalArgumentException.class, () -> d.dequantize(two, 0, dst, 0, -bs));
        if (bs > 1) {
            assertThrows(IllegalArgumentException.class, () -> d.dequantize(two, 0, dst, 0, bs + 1));
            assertThrows(IllegalArgumentException.class, () -> d.dot(two, 0, x, 0, bs - 1));
        }
        // three blocks asked of a two-block source; a destination range past the array's end
        assertThrows(IndexOutOfBoundsException.class, () -> d.dequantize(two, 0, dst, 0, 3 * bs));
        assertThrows(IndexOutOfBoundsException.class, () -> d.dequantize(two, 1, dst, 0, 2 * bs));
        assertThrows(IndexOutOfBoundsException.class, () -> d.dequantize(two, 0, dst, bs + 1, 2 * bs));
        assertThrows(IndexOutOfBoundsException.class, () -> d.dequantize(two, 0, dst, -1, bs));
        assertThrows(IndexOutOfBoundsException.class, () -> d.dot(two, 0, x, 0, 3 * bs));
        assertThrows(IndexOutOfBoundsException.class, () -> d.dot(two, 0, x, bs + 1, 2 * bs));
        assertUntouched(dst, 0, dst.length);
    }

    // ------------------------------------------------------------------ threads

    @Test
    void severalThreadsGetTheSameResults() throws Exception {
        Dequantizer d = dequantizer();
        int n = blocksPerRun();
        int count = n * d.blockSize();
        Random rnd = new Random(seed() + 6);
        MemorySegment seg = MemorySegment.ofArray(concat(randomBlocks(n, rnd)));
        float[] x = gaussians(count, rnd);
        float[] expected = new float[count];
        d.dequantize(seg, 0, expected, 0, count);
        float expectedDot = d.dot(seg, 0, x, 0, count);

        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++)
                results.add(pool.submit(() -> {
                    start.await();
                    float[] out = new float[count];
                    for (int r = 0; r < 50; r++) {
                        d.dequantize(seg, 0, out, 0, count);
                        if (!Arrays.equals(out, expected)) return "dequantize differed in round " + r;
                        float dot = d.dot(seg, 0, x, 0, count);
                        if (Float.floatToRawIntBits(dot) != Float.floatToRawIntBits(expectedDot))
                            return "dot " + dot + " != " + expectedDot + " in round " + r;
                    }
                    return null;
                }));
            start.countDown();
            for (Future<String> f : results) assertEquals(null, f.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Blocks per multi-block run: enough weights to cross many block boundaries. */
    private int blocksPerRun() {
        return dequantizer().blockSize() == 1 ? 300 : 7;
    }

    private byte[][] randomBlocks(int n, Random rnd) {
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) out[i] = randomBlock(rnd);
        return out;
    }

    private static float[] decode(Dequantizer d, byte[] block) {
        float[] out = new float[d.blockSize()];
        d.dequantize(MemorySegment.ofArray(block), 0, out, 0, out.length);
        return out;
    }

    private static byte[] concat(byte[][] blocks) {
        int len = 0;
        for (byte[] b : blocks) len += b.length;
        byte[] out = new byte[len];
        int o = 0;
        for (byte[] b : blocks) {
            System.arraycopy(b, 0, out, o, b.length);
            o += b.length;
        }
        return out;
    }

    private static float[] gaussians(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    private static float[] sentinels(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.intBitsToFloat(SENTINEL_BITS));
        return a;
    }

    private static void assertUntouched(float[] a, int from, int to) {
        for (int i = from; i < to; i++)
            assertEquals(SENTINEL_BITS, Float.floatToRawIntBits(a[i]), "index " + i + " lies outside "
                    + "[dstOffset, dstOffset+count) and was written");
    }

    /** Bit-for-bit equality (so -0.0 vs 0.0 and NaN payloads count), with the first difference named. */
    protected static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++)
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                fail(what + ": first difference at weight " + i + " (expected " + expected[i] + " = 0x"
                        + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ", got " + actual[i] + " = 0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
    }
}
