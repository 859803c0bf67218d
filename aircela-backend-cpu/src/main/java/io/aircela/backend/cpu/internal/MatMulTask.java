package io.aircela.backend.cpu.internal;

import java.lang.foreign.MemorySegment;

/**
 * {@code out (n, rows) = x (n, cols) @ W^T}, split over output rows: a worker takes a range of weight
 * rows and multiplies them with the {@code n} activation rows, a block of activation rows at a time (so that
 * block stays in cache while the weight rows pass; the weight range is re-read once per block). Tiles start at
 * multiples of {@link WeightKernel#ROWS_PER_TILE} whatever the block, so results do not depend on it. One instance per backend, refilled per call (no allocation per token).
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
    private boolean gemm;
    private MemorySegment repacked;
    private RepackedFormat format;
    private boolean q8gemm;
    private final float[][] q8panels;
    private final float[][] q8scratches;
    private final float[][] panels;
    private final byte[][] blocks;

    /** {@code scratch[worker]} holds at least one dequantized row. */
    public MatMulTask(float[][] scratch) {
        this.scratch = scratch;
        this.tiles = new float[scratch.length][WeightKernel.ROWS_PER_TILE];
        this.panels = new float[scratch.length][];
        this.q8panels = new float[scratch.length][];
        this.q8scratches = new float[scratch.length][];
        this.blocks = new byte[scratch.length][Q4_KRepacked.GROUP_BLOCK_BYTES];
    }

    /** Activation rows from which prefill uses the {@link PanelGemm} (below: a dot per weight row and token). */
    public static final int GEMM_MIN_TOKENS = 4;
    /** {@code -Daircela.cpu.gemm=false} turns the prefill GEMM off (for comparisons). */
    static final boolean GEMM = !"false".equals(System.getProperty("aircela.cpu.gemm"));

    /** Whether a matmul of {@code n} activation rows runs as a GEMM (then {@link Activations#tiles} must be ready). */
    public static boolean gemm(WeightKernel kernel, int n) {
        return prefillGemm(n) && kernel.floatGemm();
    }

    /** Whether a matmul of {@code n} activation rows runs as the exact Q8_0 GEMM ({@link Q8_0Gemm}). */
    public static boolean q8gemm(WeightKernel kernel, int n) {
        return prefillGemm(n) && !Q8_FLOAT && kernel instanceof Q8_0Kernel;
    }

    /**
     * {@code -Daircela.cpu.q8prefill=float}: Q8_0 prefill through the float GEMM ({@link PanelGemm}) instead of
     * {@link Q8_0Gemm}'s integer block dots, which are llama.cpp's bit for bit: about 1.4x faster, and the logits
     * differ from llama.cpp's by float rounding (up to 2e-2 on the random-weight test models, where a rounding
     * difference flips an activation's 8-bit quantization in a later layer).
     */
    static final boolean Q8_FLOAT = "float".equals(System.getProperty("aircela.cpu.q8prefill"));

    private static boolean prefillGemm(int n) {
        return GEMM && VectorWidth.ENABLED && n >= GEMM_MIN_TOKENS;
    }

    /** Units for {@link WorkerPool#parallelFor}: weight rows, or for a GEMM groups of {@link PanelGemm#RW} rows. */
    public int units() {
        if (gemm) return (rows + PanelGemm.RW - 1) / PanelGemm.RW;
        if (q8gemm) return (rows + Q8_0Gemm.L - 1) / Q8_0Gemm.L;
        return repacked != null ? rows / format.group() : rows;
    }

    /** The weight's repacked form in {@code format}, or null; call after {@link #set}. */
    public void setRepacked(MemorySegment repacked, RepackedFormat format) {
        this.repacked = repacked;
        this.format = format;
    }

    public void set(WeightKernel kernel, MemorySegment weight, long rowBytes, Activations act, MemorySegment out,
                    int rows) {
        this.kernel = kernel;
        this.weight = weight;
        this.rowBytes = rowBytes;
        this.act = act;
        this.out = out;
        this.rows = rows;
        this.gemm = gemm(kernel, act.n);
        this.q8gemm = q8gemm(kernel, act.n);
        this.repacked = null;
        this.format = null;
    }

    @Override
    public void run(int from, int to, int worker) {
        float[] tmp = scratch[worker];
        int n = act.n;
        if (repacked != null && !gemm && !q8gemm) { // units are row groups
            int group = format.group();
            for (int g = from; g < to; g++)
                for (int t = 0; t < n; t++) {
                    long o = (long) t * rows + (long) g * group;
                    switch (format) {
                        case Q8_0 -> Q8_0Repacked.gemv(repacked, g, act.cols, act, t, out, o, tmp);
                        case Q4_K -> Q4_KRepacked.gemv(repacked, g, act.cols, act, t, out, o, tmp, blocks[worker]);
                        case Q4_0 -> Q4_0Repacked.gemv(repacked, g, act.cols, act, t, out, o, tmp);
                    }
                }
            return;
        }
        if (n == 1) {
            for (int r = from; r < to; r++) out.setAtIndex(WeightKernel.F32, r, kernel.dot(weight, r * rowBytes, act, 0, tmp));
            return;
        }
        if (q8gemm) {
            float[] panel = grown(q8panels, worker, Q8_0Gemm.panelFloats(act.cols));
            float[] q8scratch = grown(q8scratches, worker, Q8_0Gemm.scratchFloats(act.cols));
            for (int g = from; g < to; g++) {
                int r0 = g * Q8_0Gemm.L;
                if (r0 + Q8_0Gemm.L <= rows) Q8_0Gemm.group(weight, rowBytes, repacked, r0, act, out, rows, panel, q8scratch);
                else blocked(r0, rows, worker, tmp); // the last rows, fewer than a group
            }
            return;
        }
        if (gemm) {
            float[] panel = grown(panels, worker, PanelGemm.scratchFloats(act.cols));
            for (int g = from; g < to; g++) {
                int r0 = g * PanelGemm.RW;
                if (r0 + PanelGemm.RW <= rows) PanelGemm.group(kernel, weight, rowBytes, repacked, act, r0, out, rows, panel);
                else blocked(r0, rows, worker, tmp); // the last rows, fewer than a panel
            }
            return;
        }
        blocked(from, to, worker, tmp);
    }

    /** {@code pool[worker]}, replaced by a new array when missing or shorter than {@code size} (kept across calls). */
    private static float[] grown(float[][] pool, int worker, int size) {
        float[] a = pool[worker];
        if (a == null || a.length < size) pool[worker] = a = new float[size];
        return a;
    }

    /** Weight rows {@code [from, to)} times all activation rows, tile kernels in cache-sized blocks. */
    private void blocked(int from, int to, int worker, float[] tmp) {
        int n = act.n;
        // prefill: ~128 KiB of weight rows meet the activations in blocks of ~256 KiB, both in L2. (One weight row
        // meeting all n rows streamed the whole activation matrix, 4 MiB for 512 x 2048, per weight row.)
        int block = activationBlock(act.cols);
        int wRows = (int) Math.max(1, WEIGHT_BYTES / rowBytes);
        for (int r0 = from; r0 < to; r0 += wRows) {
            int r1 = Math.min(to, r0 + wRows);
            for (int i0 = 0; i0 < n; i0 += block) {
                int i1 = Math.min(n, i0 + block);
                for (int r = r0; r < r1; r++) tiles(r, i0, i1, worker, tmp);
            }
        }
    }

    /** Bytes of weight rows that meet all activation blocks before the next ones are read. */
    static final long WEIGHT_BYTES = 128 * 1024;

    /** Activation rows per block: about {@link #BLOCK_BYTES} of float activations, a multiple of the tile. */
    static int activationBlock(int cols) {
        int rows = (int) Math.max(1, BLOCK_BYTES / (4L * cols));
        return Math.max(WeightKernel.ROWS_PER_TILE, rows - rows % WeightKernel.ROWS_PER_TILE);
    }

    /** Bytes of float activations one block aims at: well inside a 1 MiB L2 next to the weight rows. */
    static final long BLOCK_BYTES = 256 * 1024;

    /** Weight row {@code r} times activation rows {@code [i0, i1)}, a tile at a time (i0 is a multiple of the tile). */
    private void tiles(int r, int i0, int i1, int worker, float[] tmp) {
        float[] tile = tiles[worker];
        long off = r * rowBytes;
        for (int i = i0; i < i1; i += WeightKernel.ROWS_PER_TILE) {
            int count = Math.min(WeightKernel.ROWS_PER_TILE, i1 - i);
            kernel.dotRows(weight, off, act, i, count, tile, tmp);
            for (int k = 0; k < count; k++) out.setAtIndex(WeightKernel.F32, (long) (i + k) * rows + r, tile[k]);
        }
    }

    /** Drops references so buffers are not kept reachable between calls. */
    public void clear() {
        weight = null;
        repacked = null;
        format = null;
        out = null;
        kernel = null;
    }
}
