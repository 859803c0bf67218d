package io.aircela.backend.cpu;

import io.aircela.BackendException;
import io.aircela.backend.cpu.internal.Activations;
import io.aircela.backend.cpu.internal.AttentionTask;
import io.aircela.backend.cpu.internal.CpuBuffer;
import io.aircela.backend.cpu.internal.Kernels;
import io.aircela.backend.cpu.internal.MatMulGroup;
import io.aircela.backend.cpu.internal.MatMulTask;
import io.aircela.backend.cpu.internal.Q4_0Repacked;
import io.aircela.backend.cpu.internal.Q4_KRepacked;
import io.aircela.backend.cpu.internal.Q8_0Repacked;
import io.aircela.backend.cpu.internal.RepackedFormat;
import io.aircela.backend.cpu.internal.RowOps;
import io.aircela.backend.cpu.internal.WeightKernel;
import io.aircela.backend.cpu.internal.WorkerPool;
import io.aircela.compute.Capabilities;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.compute.OpKind;
import io.aircela.quant.QuantType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CPU compute backend: Vector API kernels (with scalar twins) over off-heap memory, on a fixed
 * pool of {@code threads - 1} worker threads plus the calling thread.
 *
 * <p>Memory: {@link #allocate} gives a zero-filled off-heap buffer this backend owns; {@link #upload}
 * <em>aliases</em> the caller's native segment (zero-copy for mmap'ed weights): the caller keeps that
 * memory alive and unchanged while the buffer is in use. Heap segments not backed by a {@code byte[]}
 * and segments confined to one thread are copied instead, since the workers must read them.
 *
 * <p>Threads: workers are named {@link #threadNamePrefix()}{@code + i} and started once; ops create no
 * thread and no task. {@link #close()} stops and joins them and frees every buffer this backend
 * allocated; closing twice is harmless; any use afterwards throws {@link IllegalStateException}.
 * One caller thread at a time, as {@link ComputeBackend} says.
 *
 * <p>MatMul/Attention are split across threads (over output rows, over query rows x heads); so are RmsNorm and
 * Rope (over rows) and SwiGlu and Add (over blocks of elements) when there is more than one row or block; Softmax
 * and Copy run on the calling thread. See {@link Capabilities} for the types.
 */
public final class CpuBackend implements ComputeBackend {
    /** Every CPU backend's worker threads have names starting with this. */
    public static final String THREAD_PREFIX = "aircela-cpu-";
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final Set<OpKind> OPS = EnumSet.allOf(OpKind.class);

    private final String threadPrefix = THREAD_PREFIX + IDS.incrementAndGet() + "-";
    private final WorkerPool pool;
    private final Kernels kernels = new Kernels();
    private final Capabilities capabilities;
    private final Set<CpuBuffer> live = ConcurrentHashMap.newKeySet();
    private final Thread sharedProbe = Thread.ofPlatform().unstarted(() -> { });
    private final Activations act = new Activations();
    private final float[][] rows;
    private final float[][] scores;
    private final float[][] query;
    private final float[][] acc;
    private final MatMulTask matMul;
    private final MatMulGroup group;
    private final AttentionTask attention;
    private float[] norm = new float[0];
    private final float[][] cos;
    private final float[][] sin;
    private volatile boolean closed;
    /**
     * Whether resident Q4_0/Q4_K/Q8_0 weights are repacked (on unless {@code -Daircela.cpu.repack=false}, read when the
     * backend is created, or {@link #keepWeightsAsUploaded} was called). It was opt-in for a while because of worker
     * crashes with it on; those were the OpenCL
     * probe's doing (PoCL's LLVM replaced the JVM's SIGSEGV handler; see the OpenCL backend's JvmSignals).
     */
    private volatile boolean repack = !"false".equals(System.getProperty("aircela.cpu.repack"));

    /** No more repacked copies (the engine runs under a memory budget); copies already made stay. */
    @Override
    public void keepWeightsAsUploaded() {
        repack = false;
    }

    /** Starts {@code threads - 1} workers. Prefer {@link CpuBackendProvider#create}. */
    public CpuBackend(int threads) {
        this.pool = new WorkerPool(threads, threadPrefix);
        this.rows = new float[threads][0];
        this.scores = new float[threads][0];
        this.query = new float[threads][0];
        this.acc = new float[threads][0];
        this.cos = new float[threads][0];
        this.sin = new float[threads][0];
        this.matMul = new MatMulTask(rows);
        this.group = new MatMulGroup(rows, 3);
        this.attention = new AttentionTask(scores, query, acc);
        this.capabilities = new Capabilities(OPS, kernels.types(), EnumSet.of(QuantType.F32, QuantType.F16));
    }

    @Override
    public String name() {
        return "cpu";
    }

    /** Prefix of this backend's worker thread names (unique per backend). */
    public String threadNamePrefix() {
        return threadPrefix;
    }

    /** Threads that share an op, the caller included. */
    public int threads() {
        return pool.threads();
    }

    /**
     * MatMul and GetRows accept the fused types ({@link Kernels#FUSED}) and every type with an installed
     * dequantizer: on the CPU those run in place on the stored bytes (row by row, no F32 copy of the
     * weight), so the engine need not dequantize them on upload. KV cache: F32 or F16.
     */
    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public DeviceBuffer allocate(QuantType type, long elements) {
        checkOpen();
        if (elements < 0) throw new IllegalArgumentException("elements must be 0 or more, was " + elements);
        Arena arena = Arena.ofShared();
        try {
            return track(new CpuBuffer(this, type, elements, arena.allocate(type.byteSize(elements), 64), arena, live::remove));
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public DeviceBuffer upload(MemorySegment bytes, QuantType type, long elements) {
        checkOpen();
        long size = type.byteSize(elements);
        if (bytes.byteSize() < size)
            throw new IllegalArgumentException(elements + " " + type + " weights need " + size + " bytes, the segment has "
                    + bytes.byteSize());
        boolean byteHeap = bytes.heapBase().map(b -> b instanceof byte[]).orElse(false);
        if ((bytes.isNative() || byteHeap) && bytes.isAccessibleBy(sharedProbe))
            return track(new CpuBuffer(this, type, elements, bytes.asSlice(0, size), null, live::remove));
        DeviceBuffer copy = allocate(type, elements);
        MemorySegment.copy(bytes, 0, segment(copy), 0, size);
        return copy;
    }

    private CpuBuffer track(CpuBuffer b) {
        live.add(b);
        return b;
    }

    @Override
    public void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src) {
        checkOpen();
        MemorySegment.copy(src, 0, segment(dst), dstByteOffset, src.byteSize());
    }

    @Override
    public void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        checkOpen();
        MemorySegment.copy(segment(src), srcByteOffset, dst, 0, dst.byteSize());
    }

    @Override
    public void run(Op op) {
        checkOpen();
        switch (op) {
            case Op.MatMul m -> matMul(m);
            case Op.GetRows g -> getRows(g);
            case Op.RmsNorm r -> rmsNorm(r);
            case Op.Rope r -> rope(r);
            case Op.Attention a -> attention(a);
            case Op.SwiGlu s -> swiGlu(s);
            case Op.Add a -> add(a);
            case Op.Softmax s -> RowOps.softmax(f32(s.x(), (long) s.n() * s.dim()), s.n(), s.dim());
            case Op.Copy c -> copy(c);
        }
    }

    private void matMul(Op.MatMul m) {
        WeightKernel kernel = kernel(m.weight().type());
        MemorySegment x = f32(m.x(), (long) m.n() * m.cols());
        act.reserve(m.n(), m.cols());
        prepareActivations(x, kernel, m.n(), m.cols());
        grow(rows, m.cols());
        try {
            bind(matMul, m, kernel);
            pool.parallelFor(matMul.units(), matMul);
        } finally {
            matMul.clear();
        }
    }

    /**
     * Decode's products of one input (q, k, v; gate, up) run as one parallel loop over the input quantized once;
     * anything else runs op by op.
     */
    @Override
    public void runIndependent(Op... ops) {
        checkOpen();
        if (!oneInput(ops)) {
            for (Op op : ops) run(op);
            return;
        }
        Op.MatMul first = (Op.MatMul) ops[0];
        WeightKernel kernel = kernel(first.weight().type());
        act.reserve(1, first.cols());
        prepareActivations(f32(first.x(), first.cols()), kernel, 1, first.cols());
        grow(rows, first.cols());
        try {
            for (int i = 0; i < ops.length; i++) {
                Op.MatMul m = (Op.MatMul) ops[i];
                bind(group.task(i), m, kernel(m.weight().type()));
            }
            pool.parallelFor(group.units(ops.length), group);
        } finally {
            group.clear();
        }
    }

    /** Whether {@code ops} are one-row MatMuls of the same input whose kernels take it in the same form. */
    private boolean oneInput(Op[] ops) {
        if (ops.length < 2 || ops.length > group.capacity() || !(ops[0] instanceof Op.MatMul first) || first.n() != 1)
            return false;
        Activations.Form form = kernel(first.weight().type()).form();
        for (Op op : ops)
            if (!(op instanceof Op.MatMul m) || m.x() != first.x() || m.n() != 1 || m.cols() != first.cols()
                    || kernel(m.weight().type()).form() != form) return false;
        return true;
    }

    /** Checks {@code m}'s weight and output, repacks the weight if due, and fills {@code task} ({@link #act} is ready). */
    private void bind(MatMulTask task, Op.MatMul m, WeightKernel kernel) {
        QuantType type = m.weight().type();
        long weights = (long) m.rows() * m.cols();
        MemorySegment w = segment(m.weight());
        if (m.weight().elements() < weights)
            throw new IllegalArgumentException("MatMul weight has " + m.weight().elements() + " elements, (rows, cols) = ("
                    + m.rows() + ", " + m.cols() + ") needs " + weights);
        RepackedFormat format = RepackedFormat.of(type);
        MemorySegment repacked = repacked((CpuBuffer) m.weight(), w, format, m.rows(), m.cols());
        MemorySegment out = f32(m.out(), (long) m.n() * m.rows());
        task.set(kernel, w, type.byteSize(m.cols()), act, out, m.rows());
        task.setRepacked(repacked, format);
    }

    /**
     * Copies {@code x} into {@link #act} and converts it to the kernel's form (and the GEMM's tiles): on the calling
     * thread for one row, split over the pool for a prompt (the rows are independent; the same values either way).
     */
    private void prepareActivations(MemorySegment x, WeightKernel kernel, int n, int cols) {
        Activations.Form form = kernel.form();
        boolean tiles = MatMulTask.gemm(kernel, n), passes = MatMulTask.q8gemm(kernel, n);
        if (tiles) act.reserveTiles();
        if (passes) act.reservePasses();
        if (n == 1) {
            MemorySegment.copy(x, WeightKernel.F32, 0, act.x, 0, cols);
            act.prepare(form);
            return;
        }
        int padded = tiles ? act.tileTokens() : n;
        pool.parallelFor(padded, (from, to, worker) -> {
            int real = Math.min(to, n);
            if (from < real) {
                MemorySegment.copy(x, WeightKernel.F32, (long) from * cols * 4, act.x, from * cols, (real - from) * cols);
                act.prepareRows(form, from, real);
                if (passes) act.preparePassRows(from, real);
            }
            if (tiles) act.prepareTileRows(form, from, to);
        });
    }

    /**
     * Q4_0, Q4_K and Q8_0 weights used by a second MatMul get a {@link Q4_0Repacked} / {@link Q4_KRepacked} /
     * {@link Q8_0Repacked} copy (made in parallel, once; freed with the buffer). Only weights that alias a mapped file
     * are repacked (a fully resident model); weights used once per upload (streamed layers) or held in the engine's own
     * memory under a budget never are. Opt-out: see {@link #repack}.
     */
    private MemorySegment repacked(CpuBuffer b, MemorySegment w, RepackedFormat format, int rows, int cols) {
        // only weights mapped from a file: those are the fully resident models (their pages can be dropped after
        // the copy); under a memory budget the engine hands over its own buffers, and a copy would break the budget
        if (format == null || !format.supports(rows, cols) || !w.isMapped() || !repack) return null;
        MemorySegment r = b.repacked();
        if (r != null || b.countWeightUse() < 2) return r;
        Arena arena = Arena.ofShared();
        MemorySegment copy;
        try {
            copy = format.allocate(arena, rows, cols);
        } catch (OutOfMemoryError e) {
            arena.close();
            return null; // no room for the copy: the row kernels still work on the original layout
        }
        try {
            pool.parallelFor(rows / format.group(), (from, to, worker) -> format.repack(w, copy, cols, from, to));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        b.setRepacked(arena, copy);
        // the original pages are not read again (unless by GetRows): let the OS drop them instead of counting
        // them next to the copy; a mapped file's pages come back from the file if they are touched
        try {
            w.unload();
        } catch (RuntimeException e) {
            // unload is advice; keeping the pages is harmless
        }
        return copy;
    }

    private void getRows(Op.GetRows g) {
        QuantType type = g.table().type();
        WeightKernel kernel = kernel(type);
        MemorySegment table = segment(g.table());
        long tableRows = g.table().elements() / g.cols();
        long rowBytes = type.byteSize(g.cols());
        MemorySegment out = f32(g.out(), (long) g.ids().length * g.cols());
        grow(rows, g.cols());
        float[] tmp = rows[0];
        for (int i = 0; i < g.ids().length; i++) {
            int id = g.ids()[i];
            if (id < 0 || id >= tableRows)
                throw new IllegalArgumentException("row id " + id + " is outside the table's 0.." + (tableRows - 1));
            kernel.dequantizeRow(table, id * rowBytes, tmp, 0, g.cols());
            MemorySegment.copy(tmp, 0, out, WeightKernel.F32, (long) i * g.cols() * 4, g.cols());
        }
    }

    private void rmsNorm(Op.RmsNorm r) {
        long size = (long) r.n() * r.dim();
        MemorySegment x = f32(r.x(), size);
        MemorySegment out = f32(r.out(), size);
        if (norm.length < r.dim()) norm = new float[r.dim()];
        if (r.weight().elements() < r.dim())
            throw new IllegalArgumentException("RmsNorm weight has " + r.weight().elements() + " elements, needs " + r.dim());
        kernel(r.weight().type()).dequantizeRow(segment(r.weight()), 0, norm, 0, r.dim());
        float[] w = norm;
        pool.parallelFor(r.n(), (from, to, worker) -> RowOps.rmsNorm(x, w, out, from, to, r.dim(), r.eps()));
    }

    private void rope(Op.Rope r) {
        if (r.ropeDims() <= 0 || r.ropeDims() % 2 != 0 || r.ropeDims() > r.headDim())
            throw new IllegalArgumentException("Rope needs an even ropeDims in 2.." + r.headDim() + ", was " + r.ropeDims());
        MemorySegment x = f32(r.x(), (long) r.n() * r.heads() * r.headDim());
        grow(cos, r.ropeDims() / 2);
        grow(sin, r.ropeDims() / 2);
        pool.parallelFor(r.n(), (from, to, worker) -> RowOps.rope(x, from, to, r.heads(), r.headDim(), r.ropeDims(),
                r.startPos(), r.base(), r.style(), cos[worker], sin[worker]));
    }

    private void attention(Op.Attention a) {
        if (a.kvHeads() <= 0 || a.heads() % a.kvHeads() != 0)
            throw new IllegalArgumentException("Attention heads " + a.heads() + " is not a multiple of kvHeads " + a.kvHeads());
        QuantType cache = a.keys().type();
        if (cache != a.values().type() || (cache != QuantType.F32 && cache != QuantType.F16))
            throw new BackendException("Attention needs keys and values both F32 or both F16, got " + cache + " and "
                    + a.values().type());
        long qSize = (long) a.n() * a.heads() * a.headDim();
        long kvSize = (long) (a.startPos() + a.n()) * a.kvHeads() * a.headDim();
        MemorySegment q = f32(a.q(), qSize);
        MemorySegment out = f32(a.out(), qSize);
        MemorySegment k = typed(a.keys(), cache, kvSize);
        MemorySegment v = typed(a.values(), cache, kvSize);
        grow(scores, a.startPos() + a.n());
        grow(query, a.headDim());
        grow(acc, a.headDim());
        attention.set(a, q, k, v, out, cache);
        try {
            pool.parallelFor(attention.units(), attention);
        } finally {
            attention.clear();
        }
    }

    private void add(Op.Add a) {
        if (a.bCount() <= 0 || a.bCount() > a.count())
            throw new IllegalArgumentException("Add needs 0 < bCount <= count, was " + a.bCount() + " of " + a.count());
        MemorySegment x = f32(a.a(), a.count()), b = f32(a.b(), a.bCount()), out = f32(a.out(), a.count());
        long count = a.count(), bCount = a.bCount();
        pool.parallelFor(blocks(count), (from, to, worker) -> RowOps.add(x, b, out, (long) from * ELEMENT_BLOCK,
                Math.min(count, (long) to * ELEMENT_BLOCK), bCount));
    }

    private void swiGlu(Op.SwiGlu s) {
        long count = s.count();
        MemorySegment gate = f32(s.gate(), count), up = f32(s.up(), count), out = f32(s.out(), count);
        pool.parallelFor(blocks(count), (from, to, worker) -> RowOps.swiGlu(gate, up, out, (long) from * ELEMENT_BLOCK,
                Math.min(count, (long) to * ELEMENT_BLOCK)));
    }

    /**
     * Element-wise ops split into blocks of this many floats: a decode step's rows (a few thousand floats) stay one
     * block on the calling thread; a prompt's spread over the workers. A multiple of every vector length.
     */
    private static final int ELEMENT_BLOCK = 4096;

    private static int blocks(long count) {
        return Math.toIntExact((count + ELEMENT_BLOCK - 1) / ELEMENT_BLOCK);
    }

    private void copy(Op.Copy c) {
        QuantType st = c.src().type();
        QuantType dt = c.dst().type();
        if ((st != QuantType.F32 && st != QuantType.F16) || (dt != QuantType.F32 && dt != QuantType.F16))
            throw new BackendException("Copy converts between F32 and F16 only, got " + st + " to " + dt);
        MemorySegment src = typed(c.src(), st, c.srcOffset() + c.count());
        MemorySegment dst = typed(c.dst(), dt, c.dstOffset() + c.count());
        RowOps.copy(src, st == QuantType.F16, c.srcOffset(), dst, dt == QuantType.F16, c.dstOffset(), c.count());
    }

    private WeightKernel kernel(QuantType type) {
        WeightKernel k = kernels.forType(type);
        if (k == null)
            throw new BackendException("the CPU backend has no kernel and no installed dequantizer for " + type
                    + "; it runs " + kernels.types() + ". Add a DequantizerProvider for " + type + " to the class path");
        return k;
    }

    private static void grow(float[][] perWorker, int size) {
        for (int i = 0; i < perWorker.length; i++) if (perWorker[i].length < size) perWorker[i] = new float[size];
    }

    private MemorySegment f32(DeviceBuffer b, long elements) {
        return typed(b, QuantType.F32, elements);
    }

    private MemorySegment typed(DeviceBuffer b, QuantType type, long elements) {
        MemorySegment s = segment(b);
        if (b.type() != type || b.elements() < elements)
            throw new IllegalArgumentException("expected a " + type + " buffer of at least " + elements + " elements, got "
                    + b);
        return s;
    }

    private MemorySegment segment(DeviceBuffer b) {
        if (!(b instanceof CpuBuffer c) || c.owner() != this)
            throw new IllegalArgumentException(b + " was not made by this CPU backend");
        return c.segment();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("this CPU backend is closed");
    }

    /** Stops the workers and frees every buffer; closing twice is harmless. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pool.close();
        for (CpuBuffer b : new ArrayList<>(live)) b.close();
        live.clear();
    }

    @Override
    public String toString() {
        return "CpuBackend[" + pool.threads() + " threads, " + (closed ? "closed]" : "open]");
    }
}
