package io.aircela.backend.cpu.internal;

/**
 * Matrix products of one prepared input (the query, key and value projections; gate and up) as one parallel loop:
 * the units of up to {@link #capacity()} {@link MatMulTask}s laid end to end, so the workers meet once instead of once
 * per product. Decode runs a few hundred loops per token, each costing microseconds of start and wait, which on a
 * small model is a tenth of the token. One instance per backend, refilled per call.
 */
public final class MatMulGroup implements WorkerPool.Body {
    private final MatMulTask[] tasks;
    private final int[] ends;
    private int count;

    /** {@code capacity} tasks sharing the per-worker {@code scratch} (a worker runs one unit at a time). */
    public MatMulGroup(float[][] scratch, int capacity) {
        this.tasks = new MatMulTask[capacity];
        for (int i = 0; i < capacity; i++) tasks[i] = new MatMulTask(scratch);
        this.ends = new int[capacity];
    }

    /** The most products one loop takes. */
    public int capacity() {
        return tasks.length;
    }

    /** Task {@code i}, to be {@link MatMulTask#set} before {@link #units}. */
    public MatMulTask task(int i) {
        return tasks[i];
    }

    /** Fixes the loop to the first {@code count} tasks (already set) and returns its units. */
    public int units(int count) {
        this.count = count;
        int u = 0;
        for (int i = 0; i < count; i++) ends[i] = u += tasks[i].units();
        return u;
    }

    @Override
    public void run(int from, int to, int worker) {
        int start = 0;
        for (int i = 0; i < count && from < to; i++) {
            int end = ends[i];
            if (from < end) {
                int upTo = Math.min(to, end);
                tasks[i].run(from - start, upTo - start, worker);
                from = upTo;
            }
            start = end;
        }
    }

    /** Drops the tasks' references to buffers. */
    public void clear() {
        for (MatMulTask t : tasks) t.clear();
        count = 0;
    }
}
