package io.aircela.tck;

import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.ComputeBackendProvider;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.compute.OpKind;
import io.aircela.compute.Probe;
import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.QuantType;
import io.aircela.weights.RopeStyle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract every {@link ComputeBackend} passes: every op, on every weight and KV type the backend
 * claims in its capabilities, against plain double-precision reference math ({@link ReferenceOps}) on
 * seeded random inputs, with odd shapes (rows not a multiple of any thread count, several blocks per row,
 * n = 1 and n > 1), plus the ownership rules (close twice harmless, nothing usable or running after close).
 *
 * <p>Subclass it with the provider, and if the backend runs threads, say which are its own.
 * Tolerances are stated per test; they are rigorous bounds, not statistics, so a test never flakes.
 */
public abstract class ComputeBackendContractTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The provider under test. */
    protected abstract ComputeBackendProvider provider();

    /** Options for the backend: by default 3 threads, so that 37 rows do not divide evenly. */
    protected BackendOptions options() {
        return new BackendOptions(3, 0);
    }

    /** Which live threads belong to {@code backend} (none by default: a backend without threads). */
    protected Predicate<Thread> isThreadOf(ComputeBackend backend) {
        return t -> false;
    }

    protected ComputeBackend backend;
    private final List<Arena> arenas = new ArrayList<>();

    @BeforeEach
    void createBackend() {
        Probe probe = provider().probe();
        Assumptions.assumeTrue(probe.isAvailable(), () -> provider().name() + " cannot run here: " + probe.reason());
        backend = provider().create(options());
    }

    @AfterEach
    void closeBackend() {
        if (backend != null) backend.close();
        arenas.forEach(Arena::close);
    }

    // ---------------------------------------------------------------- helpers

    protected DeviceBuffer f32(float[] values) {
        DeviceBuffer b = backend.allocate(QuantType.F32, values.length);
        backend.write(b, 0, MemorySegment.ofArray(values));
        return b;
    }

    protected float[] read(DeviceBuffer b, int count) {
        float[] out = new float[count];
        backend.read(b, 0, MemorySegment.ofArray(out));
        return out;
    }

    protected static float[] random(Random r, int count, float scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = r.nextFloat(-scale, scale);
        return v;
    }

    private record Weights(DeviceBuffer buffer, float[] values) {
    }

    /** Random weights of {@code type}, uploaded from a shared native segment (aliasing allowed). */
    private Weights weights(QuantType type, int rows, int cols, Random r) {
        Dequantizer decoder = type == QuantType.F32 || type == QuantType.F16 || type == QuantType.BF16 ? null
                : Providers.findDequantizer(type.name()).orElse(null);
        Assumptions.assumeTrue(type.blockSize() == 1 || decoder != null,
                () -> "no dequantizer for " + type + " is installed to decode the reference; skipping");
        Arena arena = Arena.ofShared();
        arenas.add(arena);
        long count = (long) rows * cols;
        MemorySegment bytes = arena.allocate(type.byteSize(count), 64);
        float[] values = RandomWeights.fill(type, (int) count, bytes, decoder, r);
        return new Weights(backend.upload(bytes, type, count), values);
    }

    private static int colsFor(QuantType type) {
        return type.blockSize() == 1 ? 67 : type.blockSize() * (type.blockSize() >= 256 ? 2 : 5);
    }

    private static void assertClose(double[] expected, float[] actual, double[] tolerance, String what) {
        for (int i = 0; i < expected.length; i++)
            if (!(Math.abs(expected[i] - actual[i]) <= tolerance[i]))
                fail(what + ": element " + i + " expected " + expected[i] + " got " + actual[i] + " (tolerance "
                        + tolerance[i] + ")");
    }

    private static void assertClose(double[] expected, float[] actual, double relative, double absolute, String what) {
        double[] tol = new double[expected.length];
        for (int i = 0; i < tol.length; i++) tol[i] = absolute + relative * Math.abs(expected[i]);
        assertClose(expected, actual, tol, what);
    }

    // ---------------------------------------------------------------- probe and capabilities

    @Test
    void probeAndCapabilitiesDescribeTheBackend() {
        assertEquals(provider().name(), backend.name());
        assertTrue(provider().probe().score() > 0);
        assertTrue(backend.capabilities().supports(OpKind.MATMUL, QuantType.F32), "every backend multiplies F32");
        assertTrue(backend.capabilities().kvTypes().contains(QuantType.F32) || backend.capabilities().kvTypes()
                .contains(QuantType.F16), "a KV cache type is needed for attention");
    }

    // ---------------------------------------------------------------- MatMul and GetRows, every claimed type

    /**
     * Tolerance per output: backends may quantize the activations the way llama.cpp does (Q8_0/Q8_1 blocks,
     * d = amax/127 stored as fp16, or Q8_K), which moves each x_i by at most amax(x) * (1/254 + 1/1024)
     * (half a step, plus fp16 rounding of d and of Q8_1's sum), so the output by at most that times
     * sum |w_i|; fp16 activations (F16 weights) and float accumulation add at most 2e-3 * max|w| * sum |x_i|.
     */
    @TestFactory
    List<DynamicTest> matMulMatchesReferenceForEveryClaimedType() {
        List<DynamicTest> tests = new ArrayList<>();
        for (QuantType type : backend.capabilities().matmulTypes())
            for (int n : new int[]{1, 5})
                tests.add(DynamicTest.dynamicTest(type + " n=" + n, () -> matMul(type, n)));
        return tests;
    }

    private void matMul(QuantType type, int n) {
        int rows = 37;
        int cols = colsFor(type);
        Random r = new Random(type.id() * 31L + n);
        Weights w = weights(type, rows, cols, r);
        float[] x = random(r, n * cols, 1f);
        DeviceBuffer out = backend.allocate(QuantType.F32, (long) n * rows);
        backend.run(new Op.MatMul(w.buffer(), rows, cols, f32(x), out, n));
        double[] expected = ReferenceOps.matMul(w.values(), rows, cols, x, n);
        double[] tol = new double[expected.length];
        for (int i = 0; i < n; i++) {
            double amax = 0, sumAbsX = 0;
            for (int c = 0; c < cols; c++) {
                amax = Math.max(amax, Math.abs(x[i * cols + c]));
                sumAbsX += Math.abs(x[i * cols + c]);
            }
            for (int row = 0; row < rows; row++) {
                double sumAbsW = 0, maxW = 0;
                for (int c = 0; c < cols; c++) {
                    sumAbsW += Math.abs(w.values()[row * cols + c]);
                    maxW = Math.max(maxW, Math.abs(w.values()[row * cols + c]));
                }
                double activation = type.isQuantized() ? sumAbsW * amax * (1.0 / 254 + 1.0 / 1024) : 0;
                tol[i * rows + row] = activation + 2e-3 * maxW * sumAbsX + 1e-6;
            }
        }
        assertClose(expected, read(out, n * rows), tol, "MatMul " + type + " n=" + n);
    }

    /**
     * {@link io.aircela.compute.ComputeBackend#runIndependent} gives exactly what running the ops one by one gives:
     * products of one input for every claimed type (decode's one row and a prompt's five), of one input in two
     * types, and products of different inputs.
     */
    @TestFactory
    List<DynamicTest> runIndependentEqualsRunningEachInOrder() {
        List<DynamicTest> tests = new ArrayList<>();
        List<QuantType> types = new ArrayList<>(backend.capabilities().matmulTypes());
        for (QuantType type : types)
            for (int n : new int[]{1, 5})
                tests.add(DynamicTest.dynamicTest(type + " n=" + n, () -> independent(new QuantType[]{type, type, type}, n, true)));
        for (int i = 0; i + 1 < types.size(); i++) {
            QuantType a = types.get(i), b = types.get(i + 1);
            tests.add(DynamicTest.dynamicTest(a + " and " + b, () -> independent(new QuantType[]{a, b}, 1, true)));
        }
        tests.add(DynamicTest.dynamicTest("different inputs", () -> independent(new QuantType[]{types.get(0), types.get(0)}, 1, false)));
        return tests;
    }

    private void independent(QuantType[] types, int n, boolean oneInput) {
        int cols = 256;
        for (QuantType t : types) Assumptions.assumeTrue(cols % t.blockSize() == 0, () -> t + " rows are not 256 weights");
        Random r = new Random(types[0].id() * 131L + types.length * 7L + n);
        int[] rows = {64, 37, 32};
        Op.MatMul[] ops = new Op.MatMul[types.length];
        DeviceBuffer[] seq = new DeviceBuffer[types.length];
        DeviceBuffer x = f32(random(r, n * cols, 1f));
        for (int i = 0; i < types.length; i++) {
            Weights w = weights(types[i], rows[i], cols, r);
            DeviceBuffer in = oneInput ? x : f32(random(r, n * cols, 1f));
            seq[i] = backend.allocate(QuantType.F32, (long) n * rows[i]);
            backend.run(new Op.MatMul(w.buffer(), rows[i], cols, in, seq[i], n));
            ops[i] = new Op.MatMul(w.buffer(), rows[i], cols, in, backend.allocate(QuantType.F32, (long) n * rows[i]), n);
        }
        backend.runIndependent(ops);
        for (int i = 0; i < types.length; i++)
            assertArrayEquals(read(seq[i], n * rows[i]), read(ops[i].out(), n * rows[i]),
                    "runIndependent, product " + i + " (" + types[i] + ", n=" + n + ") differs from run");
    }

    /** GetRows decodes exactly what the dequantizer decodes (tolerance 1e-6 relative: fused decoders may reassociate). */
    @TestFactory
    List<DynamicTest> getRowsMatchesTheDequantizerForEveryClaimedType() {
        List<DynamicTest> tests = new ArrayList<>();
        for (QuantType type : backend.capabilities().matmulTypes())
            if (backend.capabilities().supports(OpKind.GET_ROWS, type))
                tests.add(DynamicTest.dynamicTest(type.name(), () -> getRows(type)));
        return tests;
    }

    private void getRows(QuantType type) {
        int rows = 11;
        int cols = colsFor(type);
        Weights w = weights(type, rows, cols, new Random(type.id()));
        int[] ids = {10, 0, 3, 3, 7};
        DeviceBuffer out = backend.allocate(QuantType.F32, (long) ids.length * cols);
        backend.run(new Op.GetRows(w.buffer(), ids, cols, out));
        double[] expected = new double[ids.length * cols];
        for (int i = 0; i < ids.length; i++)
            for (int c = 0; c < cols; c++) expected[i * cols + c] = w.values()[ids[i] * cols + c];
        assertClose(expected, read(out, expected.length), 1e-6, 1e-7, "GetRows " + type);
    }

    // ---------------------------------------------------------------- per-row ops

    /** Float math on 67-wide rows: relative 1e-5 covers float rounding of the sum and the scale. */
    @Test
    void rmsNormMatchesReferenceAlsoInPlace() {
        Random r = new Random(1);
        int n = 3, dim = 67;
        float[] x = random(r, n * dim, 2f);
        float[] w = random(r, dim, 1.5f);
        double[] expected = ReferenceOps.rmsNorm(x, w, n, dim, 1e-5f);
        DeviceBuffer xb = f32(x);
        DeviceBuffer out = backend.allocate(QuantType.F32, (long) n * dim);
        backend.run(new Op.RmsNorm(xb, f32(w), out, n, dim, 1e-5f));
        assertClose(expected, read(out, n * dim), 1e-5, 1e-6, "RmsNorm");
        backend.run(new Op.RmsNorm(xb, f32(w), xb, n, dim, 1e-5f));
        assertClose(expected, read(xb, n * dim), 1e-5, 1e-6, "RmsNorm in place");
    }

    /**
     * Rope in both pairings with ropeDims < headDim (the rest passes through) and a start position.
     * Angles up to ~20 rad computed in float differ from double by ~1e-5 rad: 1e-4 absolute on |x| <= 1.
     */
    @TestFactory
    List<DynamicTest> ropeMatchesReferenceInBothStyles() {
        List<DynamicTest> tests = new ArrayList<>();
        for (RopeStyle style : RopeStyle.values())
            for (int ropeDims : new int[]{8, 16})
                tests.add(DynamicTest.dynamicTest(style + " ropeDims=" + ropeDims, () -> rope(style, ropeDims)));
        return tests;
    }

    private void rope(RopeStyle style, int ropeDims) {
        Random r = new Random(ropeDims + style.ordinal());
        int n = 3, heads = 3, headDim = 16, startPos = 17;
        float[] x = random(r, n * heads * headDim, 1f);
        DeviceBuffer xb = f32(x);
        backend.run(new Op.Rope(xb, n, heads, headDim, ropeDims, startPos, 10000f, style));
        double[] expected = ReferenceOps.rope(x, n, heads, headDim, ropeDims, startPos, 10000.0, style);
        float[] actual = read(xb, x.length);
        assertClose(expected, actual, 0, 1e-4, "Rope " + style);
        for (int row = 0; row < n * heads; row++)
            for (int d = ropeDims; d < headDim; d++)
                assertEquals(x[row * headDim + d], actual[row * headDim + d], "dims past ropeDims pass through");
    }

    /**
     * Causal attention with GQA (4 query heads over 2 KV heads), startPos > 0, n = 1 and n = 3, over every
     * claimed cache type. F32: 1e-5 absolute (float dots of 16). F16: keys and values are exact fp16 values,
     * but a backend may round q to fp16 as ggml does (relative 2^-11 on each score, |score| <= 4): 3e-3.
     */
    @TestFactory
    List<DynamicTest> attentionMatchesReferenceForEveryCacheType() {
        List<DynamicTest> tests = new ArrayList<>();
        for (QuantType type : backend.capabilities().kvTypes())
            for (int n : new int[]{1, 3})
                tests.add(DynamicTest.dynamicTest(type + " n=" + n, () -> attention(type, n)));
        return tests;
    }

    private void attention(QuantType type, int n) {
        Random r = new Random(type.id() * 7L + n);
        int heads = 4, kvHeads = 2, headDim = 16, startPos = 5, ctx = 12;
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] q = random(r, n * heads * headDim, 1f);
        float[] k = random(r, ctx * kvHeads * headDim, 1f);
        float[] v = random(r, ctx * kvHeads * headDim, 1f);
        if (type == QuantType.F16)
            for (float[] a : new float[][]{k, v}) for (int i = 0; i < a.length; i++) a[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
        DeviceBuffer kb = cache(type, k);
        DeviceBuffer vb = cache(type, v);
        DeviceBuffer out = backend.allocate(QuantType.F32, (long) n * heads * headDim);
        backend.run(new Op.Attention(f32(q), kb, vb, out, n, startPos, heads, kvHeads, headDim, scale));
        double[] expected = ReferenceOps.attention(q, k, v, n, startPos, heads, kvHeads, headDim, scale);
        assertClose(expected, read(out, expected.length), 0, type == QuantType.F16 ? 3e-3 : 1e-5, "Attention " + type);
    }

    /** A cache buffer of {@code type} holding {@code values}, written through the backend's Copy op. */
    private DeviceBuffer cache(QuantType type, float[] values) {
        DeviceBuffer b = backend.allocate(type, values.length);
        backend.run(new Op.Copy(f32(values), 0, b, 0, values.length));
        return b;
    }

    /** silu in float: relative 1e-6 (one exp and a few roundings), also with out aliasing gate. */
    @Test
    void swiGluMatchesReferenceAlsoInPlace() {
        Random r = new Random(2);
        int count = 131;
        float[] g = random(r, count, 6f);
        float[] u = random(r, count, 2f);
        double[] expected = new double[count];
        for (int i = 0; i < count; i++) expected[i] = ReferenceOps.silu(g[i]) * u[i];
        DeviceBuffer gb = f32(g);
        DeviceBuffer out = backend.allocate(QuantType.F32, count);
        backend.run(new Op.SwiGlu(gb, f32(u), out, count));
        assertClose(expected, read(out, count), 1e-5, 1e-7, "SwiGlu");
        backend.run(new Op.SwiGlu(gb, f32(u), gb, count));
        assertClose(expected, read(gb, count), 1e-5, 1e-7, "SwiGlu in place");
    }

    /** One float addition: exact after rounding the double reference to float. */
    @Test
    void addElementWiseAndBroadcast() {
        Random r = new Random(3);
        int rows = 3, width = 37;
        float[] a = random(r, rows * width, 1f);
        float[] full = random(r, rows * width, 1f);
        float[] bias = random(r, width, 1f);
        DeviceBuffer out = backend.allocate(QuantType.F32, (long) rows * width);
        backend.run(new Op.Add(f32(a), f32(full), out, rows * width, rows * width));
        float[] sum = read(out, rows * width);
        backend.run(new Op.Add(f32(a), f32(bias), out, rows * width, width));
        float[] broadcast = read(out, rows * width);
        for (int i = 0; i < rows * width; i++) {
            assertEquals(a[i] + full[i], sum[i], "element-wise at " + i);
            assertEquals(a[i] + bias[i % width], broadcast[i], "broadcast at " + i);
        }
    }

    /** Inputs up to +-100 would overflow exp without the max subtraction; relative 1e-5 otherwise. */
    @Test
    void softmaxMatchesReferenceWithLargeInputs() {
        Random r = new Random(4);
        int n = 3, dim = 67;
        float[] x = random(r, n * dim, 100f);
        DeviceBuffer xb = f32(x);
        backend.run(new Op.Softmax(xb, n, dim));
        assertClose(ReferenceOps.softmax(x, n, dim), read(xb, n * dim), 1e-5, 1e-9, "Softmax");
    }

    /** F32 -> F16 rounds to nearest even, F16 -> F32 is exact, offsets are in elements. */
    @Test
    void copyConvertsBetweenF32AndF16WithOffsets() {
        Random r = new Random(5);
        float[] x = random(r, 40, 3f);
        DeviceBuffer half = backend.allocate(QuantType.F16, 50);
        backend.run(new Op.Copy(f32(x), 3, half, 7, 30));
        DeviceBuffer back = backend.allocate(QuantType.F32, 50);
        backend.run(new Op.Copy(half, 0, back, 0, 50));
        float[] got = read(back, 50);
        for (int i = 0; i < 50; i++) {
            float expected = i >= 7 && i < 37 ? Float.float16ToFloat(Float.floatToFloat16(x[i - 7 + 3])) : 0f;
            assertEquals(expected, got[i], "element " + i);
        }
        DeviceBuffer same = backend.allocate(QuantType.F32, 40);
        backend.run(new Op.Copy(f32(x), 0, same, 0, 40));
        float[] copy = read(same, 40);
        for (int i = 0; i < 40; i++) assertEquals(x[i], copy[i]);
    }

    // ---------------------------------------------------------------- buffers and ownership

    @Test
    void allocateIsZeroFilledAndWriteReadRoundTrips() {
        DeviceBuffer b = backend.allocate(QuantType.F32, 10);
        assertEquals(40, b.byteSize());
        for (float f : read(b, 10)) assertEquals(0f, f);
        backend.write(b, 8, MemorySegment.ofArray(new float[]{1.5f, -2f}));
        float[] got = read(b, 10);
        assertEquals(1.5f, got[2]);
        assertEquals(-2f, got[3]);
        assertEquals(0f, got[4]);
    }

    @Test
    void closeTwiceIsHarmlessAndNothingIsUsableOrRunningAfterwards() {
        DeviceBuffer a = backend.allocate(QuantType.F32, 16);
        DeviceBuffer w = f32(new float[16]);
        DeviceBuffer out = backend.allocate(QuantType.F32, 4);
        backend.run(new Op.MatMul(w, 4, 4, a, out, 1)); // workers (if any) have run
        Predicate<Thread> mine = isThreadOf(backend);
        backend.close();
        assertDoesNotThrow(backend::close);
        assertThrows(IllegalStateException.class, () -> backend.allocate(QuantType.F32, 1));
        assertThrows(IllegalStateException.class, () -> read(a, 16));
        assertThrows(IllegalStateException.class, () -> backend.write(a, 0, MemorySegment.ofArray(new float[1])));
        assertThrows(IllegalStateException.class, () -> backend.run(new Op.MatMul(w, 4, 4, a, out, 1)));
        assertDoesNotThrow(a::close, "closing a buffer after its backend is harmless");
        assertDoesNotThrow(a::close);
        List<Thread> alive = Thread.getAllStackTraces().keySet().stream().filter(mine).filter(Thread::isAlive).toList();
        assertEquals(List.of(), alive, "backend threads still alive after close");
    }

    @Test
    void aClosedBufferCannotBeUsed() {
        DeviceBuffer a = f32(new float[]{1, 2, 3});
        DeviceBuffer out = backend.allocate(QuantType.F32, 3);
        a.close();
        assertDoesNotThrow(a::close);
        assertThrows(IllegalStateException.class, () -> backend.run(new Op.Softmax(a, 1, 3)));
        assertThrows(IllegalStateException.class, () -> backend.run(new Op.Add(a, out, out, 3, 3)));
    }
}
