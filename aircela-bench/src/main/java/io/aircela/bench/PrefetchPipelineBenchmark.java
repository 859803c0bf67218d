package io.aircela.bench;

import io.aircela.scheduler.PrefetchPipeline;
import io.aircela.scheduler.StageHandle;
import io.aircela.scheduler.StageLoader;
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
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One "token" through a streamed model of {@code layers} layers with a fake loader: a load waits
 * {@code ioMicros} (the disk) and then copies {@code layerKiB} into the slot's buffer (the read into
 * engine-owned memory); the consumer burns {@code computeTokens} of CPU per layer (the forward pass).
 * With {@code depth = 0} time per token is about the sum of I/O and compute; with {@code depth >= 1}
 * it should approach their max: the measure of how well the pipeline overlaps.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PrefetchPipelineBenchmark {

    @Param({"0", "1", "2"})
    public int depth;

    @Param({"8"})
    public int layers;

    @Param({"1024"})
    public int layerKiB;

    @Param({"500"})
    public int ioMicros;

    @Param({"200000"})
    public long computeTokens;

    private Arena arena;
    private PrefetchPipeline<MemorySegment> pipeline;

    /** Copies a "layer" from the fake disk into slot buffers preallocated once. */
    private static final class FakeLoader implements StageLoader<MemorySegment> {
        private final MemorySegment disk;
        private final MemorySegment[] slots;
        private final long micros;

        FakeLoader(MemorySegment disk, MemorySegment[] slots, long micros) {
            this.disk = disk;
            this.slots = slots;
            this.micros = micros;
        }

        @Override
        public MemorySegment load(int stage, int slot) {
            LockSupport.parkNanos(micros * 1000);
            MemorySegment.copy(disk, 0, slots[slot], 0, disk.byteSize());
            return slots[slot];
        }

        @Override
        public long byteCount(MemorySegment loaded) {
            return loaded.byteSize();
        }

        @Override
        public void release(MemorySegment loaded) {
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        long bytes = layerKiB * 1024L;
        MemorySegment disk = arena.allocate(bytes, 64).fill((byte) 1);
        MemorySegment[] slots = new MemorySegment[depth + 1];
        for (int i = 0; i < slots.length; i++) slots[i] = arena.allocate(bytes, 64);
        int[] cycle = new int[layers];
        for (int i = 0; i < layers; i++) cycle[i] = i;
        pipeline = PrefetchPipeline.start(cycle, depth, new FakeLoader(disk, slots, ioMicros));
    }

    /** One token: every layer acquired, used, released, in order. */
    @Benchmark
    public void token(Blackhole bh) {
        for (int l = 0; l < layers; l++) {
            try (StageHandle<MemorySegment> h = pipeline.acquire()) {
                bh.consume(h.value().get(ValueLayout.JAVA_BYTE, 0));
                Blackhole.consumeCPU(computeTokens);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pipeline.close();
        arena.close();
    }
}
