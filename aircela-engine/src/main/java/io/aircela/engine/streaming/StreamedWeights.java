package io.aircela.engine.streaming;

import io.aircela.AirCelaException;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.engine.model.GlobalWeights;
import io.aircela.engine.model.LayerWeights;
import io.aircela.engine.model.ModelTensors;
import io.aircela.engine.model.Weight;
import io.aircela.engine.model.WeightProvider;
import io.aircela.engine.model.WeightSpec;
import io.aircela.scheduler.PrefetchCounters;
import io.aircela.scheduler.PrefetchException;
import io.aircela.scheduler.PrefetchPipeline;
import io.aircela.scheduler.StageHandle;
import io.aircela.scheduler.StageLoader;
import io.aircela.weights.WeightSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Weights under a memory budget ({@link StreamingPlan}): resident stages are read once into memory
 * this provider owns; streamed stages (layers, and the LM head when it did not fit) are read by a
 * {@link PrefetchPipeline} (one loader thread, up to {@code depth} layers ahead) into {@code depth + 1} slots, off-heap buffers of the largest streamed
 * stage's size, and handed to the backend with {@link ComputeBackend#upload}: on a host backend the
 * slot is simply the memory the kernels read. The pipeline's cycle is the streamed stage ids in order,
 * so it wraps across tokens: the next pass's first layers load while this pass's last ones compute.
 * The token embedding stays in the mapped file (GetRows reads a row per token).
 *
 * <p>A forward pass that is cut short (an error) leaves the pipeline mid-cycle; the next pass notices
 * and restarts it. A failed load ends the pass with an {@link AirCelaException} naming the layer and
 * the cause, after the pipeline's threads have stopped.
 *
 * <p>Ownership: owns the reader, the slots, the resident copies and every device buffer it made;
 * {@link #close()} stops the pipeline and frees them (twice is harmless). The {@link WeightSource}
 * must stay open. One consumer thread (not thread-safe); loads run on the pipeline's threads.
 */
public final class StreamedWeights implements WeightProvider {
    private static final int LOADER_THREADS = 1;
    private final WeightSource source;
    private final ComputeBackend backend;
    private final StreamingPlan plan;
    private final TensorReader reader;
    private final StageLayout[] layouts;
    private final int[] cycle;
    private final Arena residentMemory = Arena.ofShared();
    private final Arena slotMemory = Arena.ofShared();
    private final MemorySegment[] slots;
    private final MemorySegment[] staging;
    private final List<DeviceBuffer> residentBuffers = new ArrayList<>();
    private final LayerWeights[] residentLayers;
    private final GlobalWeights global;
    private final Weight residentHead; // null when the head is streamed

    private PrefetchPipeline<Loaded> pipeline;
    private int cursor; // index in cycle of the next stage the forward pass will acquire
    private StageHandle<Loaded> held;
    private final List<DeviceBuffer> heldBuffers = new ArrayList<>();
    private final Object ioLock = new Object();
    private int loadsRunning; // guarded by ioLock, as are the two below
    private long ioBusySince, ioBusyNanos;
    private long pastBytes, pastConsumerWait, pastSlotWait; // of pipelines already closed
    private boolean closed;

    /** A stage read into a slot: the slice of each weight's bytes, in the layout's order. */
    private record Loaded(int stage, MemorySegment[] data, long bytes) {
    }

    /**
     * Reads the resident stages and allocates the slots; the pipeline starts with the first pass.
     *
     * @param reader owned from now on (closed with this provider, also when construction fails)
     */
    public StreamedWeights(WeightSource source, ModelTensors tensors, StreamingPlan plan, TensorReader reader,
                           ComputeBackend backend) {
        this.source = source;
        this.backend = backend;
        this.plan = plan;
        this.reader = reader;
        this.cycle = plan.streamedStages().stream().mapToInt(Integer::intValue).toArray();
        try {
            this.layouts = StreamingPlanner.layouts(tensors, plan.layers(), reader);
            Weight embedding = residentWeight(tensors.embedding());
            this.global = new GlobalWeights(embedding, residentWeight(tensors.outputNorm()), null);
            this.residentLayers = new LayerWeights[plan.layers()];
            for (int id : plan.residentStages()) if (id < plan.layers()) residentLayers[id] = readResidentLayer(id);
            this.residentHead = layouts[plan.layers()] == null ? embedding
                    : plan.outputResident() ? readResident(layouts[plan.layers()])[0] : null;
            long stageBytes = 0;
            for (int id : cycle) stageBytes = Math.max(stageBytes, layouts[id].bytes());
            this.slots = new MemorySegment[plan.slots()];
            this.staging = new MemorySegment[plan.slots()];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = slotMemory.allocate(plan.slotBytes(), reader.alignment());
                staging[i] = slots[i].asSlice(stageBytes);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            close();
            throw e;
        }
    }

    /** The plan this provider follows. */
    public StreamingPlan plan() {
        return plan;
    }

    @Override
    public GlobalWeights global() {
        checkOpen();
        return global;
    }

    @Override
    public LayerWeights acquire(int layer) {
        checkOpen();
        if (residentLayers[layer] != null) return residentLayers[layer];
        return ModelTensors.assemble(layer, take(layer));
    }

    @Override
    public void release(LayerWeights weights) {
        if (residentLayers[weights.index()] != weights) closeHeld();
    }

    @Override
    public Weight acquireOutput() {
        checkOpen();
        return residentHead != null ? residentHead : take(plan.layers())[0];
    }

    @Override
    public void releaseOutput(Weight output) {
        if (output != residentHead) closeHeld();
    }

    /** Stops the pipeline: its threads end and what it loaded ahead is released. The slots stay. */
    @Override
    public void pause() {
        closeHeld();
        stopPipeline();
    }

    /** Counters since this provider was made; {@code forwardNanos} and {@code passes} come from the forward pass. */
    public StreamingStats stats(long forwardNanos, long passes) {
        long bytes = pastBytes, consumerWait = pastConsumerWait, slotWait = pastSlotWait;
        if (pipeline != null) {
            PrefetchCounters c = pipeline.counters();
            bytes += c.bytesLoaded();
            consumerWait += c.consumerWaitNanos();
            slotWait += c.slotWaitNanos();
        }
        return new StreamingStats(plan.residentLayers(), plan.streamedLayers(), plan.slots(), plan.prefetchDepth(), passes,
                bytes, ioBusyNanos() / 1e6, (forwardNanos - consumerWait) / 1e6, consumerWait / 1e6, slotWait / 1e6);
    }

    /** Waits for the next streamed stage, which must be {@code stage}, and uploads its weights from the slot. */
    private Weight[] take(int stage) {
        if (held != null) throw new IllegalStateException("stage " + held.stage() + " was not released before stage "
                + stage + " was acquired");
        if (pipeline == null || cycle[cursor] != stage) restart(stage);
        StageHandle<Loaded> h;
        try {
            h = pipeline.acquire();
        } catch (PrefetchException e) {
            stopPipeline();
            throw loadFailed(stage, e);
        }
        cursor = (cursor + 1) % cycle.length;
        held = h;
        return upload(layouts[stage], h.value().data(), heldBuffers);
    }

    /** A new pipeline at the start of the cycle; the forward pass always begins with the first streamed stage. */
    private void restart(int stage) {
        stopPipeline();
        if (cycle[0] != stage)
            throw new IllegalStateException("stage " + stage + " acquired out of order; a pass starts with stage " + cycle[0]);
        // One loader thread: layers arrive in order, each read at the storage's full speed (parallel reads
        // would split the bandwidth and make the next layer the forward pass needs arrive later), while
        // the depth + 1 slots still let it run up to depth layers ahead.
        pipeline = PrefetchPipeline.start(cycle, plan.prefetchDepth(), LOADER_THREADS, new Loader());
    }

    private void stopPipeline() {
        if (pipeline == null) return;
        try {
            pipeline.close();
        } finally {
            PrefetchCounters c = pipeline.counters();
            pastBytes += c.bytesLoaded();
            pastConsumerWait += c.consumerWaitNanos();
            pastSlotWait += c.slotWaitNanos();
            pipeline = null;
            cursor = 0;
        }
    }

    private AirCelaException loadFailed(int stage, PrefetchException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String what = stageName(stage);
        return new AirCelaException("cannot load " + what + " of " + source.path() + ": " + cause.getMessage()
                + "; the generation stopped (was the file changed, truncated or moved after the model was opened?)", cause);
    }

    private String stageName(int stage) {
        return stage == plan.layers() ? "the output head" : "layer " + stage;
    }

    private void closeHeld() {
        for (DeviceBuffer b : heldBuffers) b.close();
        heldBuffers.clear();
        if (held != null) {
            StageHandle<Loaded> h = held;
            held = null;
            h.close();
        }
    }

    /** Weights of {@code layout} whose bytes are {@code data}; the new device buffers are added to {@code owner}. */
    private Weight[] upload(StageLayout layout, MemorySegment[] data, List<DeviceBuffer> owner) {
        WeightSpec[] specs = layout.specs();
        Weight[] w = new Weight[specs.length];
        for (int k = 0; k < specs.length; k++) {
            WeightSpec s = specs[k];
            if (s == null) continue;
            DeviceBuffer b = backend.upload(data[k], s.deviceType(), s.elements());
            owner.add(b);
            w[k] = new Weight(s.tensor().name(), b, s.rows(), s.cols());
        }
        return w;
    }

    /**
     * Reads {@code layout}'s weights into {@code region}; dequantized ones go through {@code stagingArea}.
     * Returns each weight's bytes in the region.
     */
    private MemorySegment[] fill(StageLayout layout, MemorySegment region, MemorySegment stagingArea) {
        WeightSpec[] specs = layout.specs();
        MemorySegment[] data = new MemorySegment[specs.length];
        if (layout.spanned()) {
            long end = 0;
            for (WeightSpec s : specs) if (s != null) end = Math.max(end, s.tensor().end());
            reader.readSpan(layout.spanStart(), end - layout.spanStart(), region.asSlice(0, layout.bytes()),
                    stageName(layout.stage()));
            for (int k = 0; k < specs.length; k++)
                if (specs[k] != null) data[k] = region.asSlice(layout.offsets()[k], specs[k].tensor().byteSize());
            return data;
        }
        for (int k = 0; k < specs.length; k++) {
            WeightSpec s = specs[k];
            if (s == null) continue;
            long regionBytes = reader.regionBytes(s.tensor());
            if (s.converted()) {
                MemorySegment raw = reader.read(s.tensor(), stagingArea.asSlice(0, regionBytes));
                data[k] = region.asSlice(layout.offsets()[k], s.deviceBytes());
                ModelTensors.dequantize(s, raw, data[k]);
            } else {
                data[k] = reader.read(s.tensor(), region.asSlice(layout.offsets()[k], regionBytes));
            }
        }
        return data;
    }

    private LayerWeights readResidentLayer(int id) {
        return ModelTensors.assemble(id, readResident(layouts[id]));
    }

    private Weight[] readResident(StageLayout layout) {
        MemorySegment region = residentMemory.allocate(layout.bytes(), reader.alignment());
        MemorySegment[] data;
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment stage = layout.stagingBytes() == 0 ? MemorySegment.NULL
                    : temp.allocate(layout.stagingBytes(), reader.alignment());
            data = fill(layout, region, stage);
        }
        return upload(layout, data, residentBuffers);
    }

    /** A global weight: the mapped bytes when the backend takes them (GetRows reads rows on demand), else an F32 copy. */
    private Weight residentWeight(WeightSpec s) {
        MemorySegment bytes = source.view(s.tensor());
        if (s.converted()) {
            MemorySegment floats = residentMemory.allocate(s.deviceBytes(), 64);
            ModelTensors.dequantize(s, bytes, floats);
            bytes = floats;
        }
        DeviceBuffer b = backend.upload(bytes, s.deviceType(), s.elements());
        residentBuffers.add(b);
        return new Weight(s.tensor().name(), b, s.rows(), s.cols());
    }

    /** Loads a stage into a slot on the pipeline's threads: bytes only; device buffers are made by the consumer. */
    private final class Loader implements StageLoader<Loaded> {
        @Override
        public Loaded load(int stage, int slot) {
            loadStarted();
            try {
                StageLayout layout = layouts[stage];
                return new Loaded(stage, fill(layout, slots[slot], staging[slot]), layout.readBytes());
            } finally {
                loadEnded();
            }
        }

        @Override
        public long byteCount(Loaded loaded) {
            return loaded.bytes();
        }

        @Override
        public void release(Loaded loaded) {
            // the slot's bytes are simply overwritten by the next load
        }
    }

    // I/O time is wall time with at least one load running: two loads at once count once, so it compares
    // with the compute time of the same pass (the sum over loader threads would exceed the wall clock).
    private void loadStarted() {
        synchronized (ioLock) {
            if (loadsRunning++ == 0) ioBusySince = System.nanoTime();
        }
    }

    private void loadEnded() {
        synchronized (ioLock) {
            if (--loadsRunning == 0) ioBusyNanos += System.nanoTime() - ioBusySince;
        }
    }

    private long ioBusyNanos() {
        synchronized (ioLock) {
            return ioBusyNanos + (loadsRunning > 0 ? System.nanoTime() - ioBusySince : 0);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("weights are closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            closeHeld();
            stopPipeline();
        } finally {
            for (DeviceBuffer b : residentBuffers) b.close();
            residentBuffers.clear();
            slotMemory.close();
            residentMemory.close();
            reader.close();
        }
    }
}
