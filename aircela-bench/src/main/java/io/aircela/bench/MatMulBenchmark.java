package io.aircela.bench;

import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * {@code out (n, rows) = x (n, cols) @ W^T} through the {@link ComputeBackend} port, for each backend x
 * stored weight type x shape: {@code matvec} is decode ({@code n = 1}), {@code matmul} is prefill
 * ({@code n = 32}). The weight is 4096 x 4096 (a 7B model's attention projection) of synthetic data.
 * Time per op; weights per second = rows * cols / time. The activation conversion a backend does per call
 * (e.g. to Q8 blocks) is part of the measured op, as it is in a forward pass.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"}) // as the aircela launcher runs them
public class MatMulBenchmark {

    @Param({"cpu"})
    public String backend;

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    /** {@code matvec}: n = 1; {@code matmul}: n = 32. */
    @Param({"matvec", "matmul"})
    public String shape;

    /** Threads the backend uses (the caller included). */
    @Param({"1"})
    public int threads;

    @Param({"4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    /**
     * {@code memory}: the weights in the benchmark's own memory (as a streamed or budgeted layer: row kernels);
     * {@code mapped}: mapped from a file, as a fully resident model's are, which the CPU backend repacks on the
     * second use (Q4_0, Q4_K, Q8_0: the repacked kernels, decode's default path).
     */
    @Param({"memory", "mapped"})
    public String weights;

    private java.nio.file.Path file;

    private Arena arena;
    private ComputeBackend device;
    private DeviceBuffer weight;
    private DeviceBuffer x;
    private DeviceBuffer out;
    private Op.MatMul op;
    private MemorySegment first;

    @Setup(Level.Trial)
    public void setUp() {
        QuantType t = QuantType.valueOf(type);
        int n = shape.equals("matvec") ? 1 : 32;
        arena = Arena.ofShared();
        device = Providers.selectBackend(backend).create(new BackendOptions(threads, 0));
        MemorySegment w = SyntheticWeights.of(t, (long) rows * cols, 42, arena);
        if (weights.equals("mapped")) {
            try {
                file = java.nio.file.Files.createTempFile("aircela-matmul", ".bin");
                java.nio.file.Files.write(file, w.toArray(ValueLayout.JAVA_BYTE));
                try (var ch = java.nio.channels.FileChannel.open(file)) {
                    w = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, w.byteSize(), arena);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        weight = device.upload(w, t, (long) rows * cols);
        MemorySegment xs = SyntheticWeights.of(QuantType.F32, (long) n * cols, 7, arena);
        x = device.allocate(QuantType.F32, (long) n * cols);
        device.write(x, 0, xs);
        out = device.allocate(QuantType.F32, (long) n * rows);
        first = arena.allocate(4);
        op = new Op.MatMul(weight, rows, cols, x, out, n);
        device.run(op); // fails here, not in the measurement, when the backend lacks the type
        device.run(op); // the second use: repacking (one-time, like llama.cpp's at load) is not measured
    }

    @Benchmark
    public float run() {
        device.run(op);
        device.read(out, 0, first); // a result leaves the device, so the work cannot be skipped
        return first.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        device.close();
        arena.close();
        if (file != null) {
            try {
                java.nio.file.Files.deleteIfExists(file);
            } catch (java.io.IOException e) {
                // a temp file left behind is harmless
            }
        }
    }
}
