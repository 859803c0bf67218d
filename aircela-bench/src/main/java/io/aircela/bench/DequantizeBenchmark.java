package io.aircela.bench;

import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
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
import java.util.concurrent.TimeUnit;

/**
 * Dequantization throughput of each installed {@link Dequantizer} (the reference path every backend
 * falls back to): 1M weights (4096 rows of 256) per op, row by row into a float array that stays in
 * cache. Weights per second = 1M / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"}) // as the aircela launcher runs them
public class DequantizeBenchmark {
    private static final int ROW = 256;
    private static final int ROWS = 4096;

    @Param({"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL"})
    public String type;

    private Arena arena;
    private Dequantizer dequantizer;
    private MemorySegment weights;
    private long rowBytes;
    private final float[] row = new float[ROW];

    @Setup(Level.Trial)
    public void setUp() {
        QuantType t = QuantType.valueOf(type);
        dequantizer = Providers.dequantizer(type);
        arena = Arena.ofShared();
        weights = SyntheticWeights.of(t, (long) ROW * ROWS, 42, arena);
        rowBytes = t.byteSize(ROW);
    }

    @Benchmark
    public float dequantize() {
        float acc = 0f;
        for (int r = 0; r < ROWS; r++) {
            dequantizer.dequantize(weights, r * rowBytes, row, 0, ROW);
            acc += row[r & (ROW - 1)];
        }
        return acc;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
