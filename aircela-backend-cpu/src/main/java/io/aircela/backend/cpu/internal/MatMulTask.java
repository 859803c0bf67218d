package io.aircela.backend.cpu.internal;

import java.lang.foreign.MemorySegment;

/**
 * {@code out (n, rows) = x (n, cols) @ W^T}, split over output rows: a worker takes a range of weight
 * rows and multiplies each with all {@code n} activation rows, so a weight row is read from memory once
 * per call whatever {@code n} is. One instance per backend, refilled per call (no allocation per token).
 */
public final class MatMulTask implements WorkerPool.Body {
    private final float[][] scratch;
    private final float[][] tiles;
    private WeightKernel kernel;
    private MemorySegment weight;
    private long rowBytes;
    private Activations act;
    private MemorySegment out;
    private int rows;

    /** {@code scratch[worker]} holds at least one dequantized row. */
    public MatMulTask(float[][] scratch) {
        this.scratch = scratch;
        this.tiles = new float[scratch.length][WeightKernel.ROWS_PER_TILE];
    }

    public void set(WeightKernel kernel, MemorySegment weight, long rowBytes, Activations act, MemorySegment out,
                    int rows) {
        this.kernel = kernel;
        this.weight = weight;
        this.rowBytes = rowBytes;
        this.act = act;
        this.out = out;
        this.rows = rows;
    }

    @Override
    public void run(int from, int to, int worker) {
        float[] tmp = scratch[worker];
        float[] tile = tiles[worker];
        int n = act.n;
        for (int r = from; r < to; r++) {
            long off = r * rowBytes;
            if (n == 1) {
                out.setAtIndex(WeightKernel.F32, r, kernel.dot(weight, off, act, 0, tmp));
                continue;
            }
            // prefill: the weight row (a few KiB, in L1) meets the activation rows a tile at a time
            for (int i = 0; i < n; i += WeightKernel.ROWS_PER_TILE) {
                int count = Math.min(WeightKernel.ROWS_PER_TILE, n - i);
                kernel.dotRows(weight, off, act, i, count, tile, tmp);
                for (int k = 0; k < count; k++) out.setAtIndex(WeightKernel.F32, (long) (i + k) * rows + r, tile[k]);
            }
        }
    }

    /** Drops references so buffers are not kept reachable between calls. */
    public void clear() {
        weight = null;
        out = null;
        kernel = null;
    }
}
