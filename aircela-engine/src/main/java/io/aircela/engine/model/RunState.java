package io.aircela.engine.model;

import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.kv.KvStore;
import io.aircela.quant.QuantType;
import io.aircela.weights.ModelConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The activations of one sequence on the device, sized for up to {@link #maxBatch()} positions per
 * forward call, plus the sequence's KV cache. Shapes are {@code (positions, width)}.
 *
 * <p>Ownership: owns its activation buffers and the {@link KvStore} it was given; closing frees
 * them (twice is harmless). Not thread-safe.
 */
public final class RunState implements AutoCloseable {
    final ComputeBackend backend;
    final KvStore kv;
    final int maxBatch;
    final DeviceBuffer x;      // (B, dim) residual stream
    final DeviceBuffer xb;     // (B, dim) normed input / projection output
    final DeviceBuffer q;      // (B, heads * headDim)
    final DeviceBuffer k;      // (B, kvDim)
    final DeviceBuffer v;      // (B, kvDim)
    final DeviceBuffer att;    // (B, heads * headDim) attention output
    final DeviceBuffer hb;     // (B, ffn) gate, then silu(gate) * up
    final DeviceBuffer hb2;    // (B, ffn) up
    final DeviceBuffer xLast;  // (1, dim) last position's hidden state
    final int[] oneId = new int[1];
    private final int vocab;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment logitsHost; // (vocab) staging for reads
    DeviceBuffer logits;        // (rows, vocab)
    private int logitRows;
    private boolean closed;

    /** Activations for {@code config} and up to {@code maxBatch} positions per call; takes ownership of {@code kv}. */
    public RunState(ModelConfig config, ComputeBackend backend, KvStore kv, int maxBatch) {
        this.backend = backend;
        this.kv = kv;
        this.maxBatch = maxBatch;
        this.vocab = config.vocabSize();
        long b = maxBatch, qDim = (long) config.heads() * config.headDim();
        x = f32(b * config.dim());
        xb = f32(b * config.dim());
        q = f32(b * qDim);
        k = f32(b * config.kvDim());
        v = f32(b * config.kvDim());
        att = f32(b * qDim);
        hb = f32(b * config.ffnDim());
        hb2 = f32(b * config.ffnDim());
        xLast = f32(config.dim());
        logits = f32(vocab);
        logitRows = 1;
        logitsHost = arena.allocate(ValueLayout.JAVA_FLOAT, vocab);
    }

    /**
     * Bytes a run state for {@code config} and {@code maxBatch} positions allocates (one logits row;
     * scoring every position of a batch adds {@code (rows - 1) * vocab * 4}), for the memory plan.
     * The KV cache is not included.
     */
    public static long activationBytes(ModelConfig config, int maxBatch) {
        long qDim = (long) config.heads() * config.headDim();
        long perPosition = 2L * config.dim() + 2 * qDim + 2L * config.kvDim() + 2L * config.ffnDim();
        long floats = maxBatch * perPosition + config.dim() + 2L * config.vocabSize(); // + xLast, logits, staging
        return floats * Float.BYTES;
    }

    private DeviceBuffer f32(long elements) {
        return backend.allocate(QuantType.F32, elements);
    }

    /** Positions one forward call may take. */
    public int maxBatch() {
        return maxBatch;
    }

    /** The KV cache of this sequence. */
    public KvStore kv() {
        return kv;
    }

    /** Makes the logits buffer hold at least {@code rows} rows. */
    void ensureLogitRows(int rows) {
        if (rows <= logitRows) return;
        logits.close();
        logits = f32((long) rows * vocab);
        logitRows = rows;
    }

    /** Copies logits row {@code row} of the last forward call into {@code dst} ({@code vocab} floats). */
    public void readLogits(int row, float[] dst) {
        if (closed) throw new IllegalStateException("run state is closed");
        backend.read(logits, (long) row * vocab * Float.BYTES, logitsHost);
        MemorySegment.copy(logitsHost, ValueLayout.JAVA_FLOAT, 0, dst, 0, vocab);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (DeviceBuffer d : new DeviceBuffer[]{x, xb, q, k, v, att, hb, hb2, xLast, logits}) d.close();
        kv.close();
        arena.close();
    }
}
