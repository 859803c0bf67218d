package io.aircela.backend.opencl;

import io.aircela.BackendException;
import io.aircela.backend.opencl.internal.ClBuffer;
import io.aircela.backend.opencl.internal.ClProgram;
import io.aircela.backend.opencl.internal.Launcher;
import io.aircela.backend.opencl.internal.WeightFormats;
import io.aircela.compute.Op;
import io.aircela.quant.QuantType;
import io.aircela.weights.RopeStyle;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_kernel;

import java.util.EnumMap;
import java.util.Map;

/**
 * Checks each op's shapes and types on the host (typed errors, never an out-of-bounds kernel) and enqueues
 * its kernel. Scratch: the GetRows ids and the attention scores, grown as needed and owned by the backend.
 * Not thread-safe (the backend's one caller).
 */
final class KernelOps {
    private final OpenClBackend backend;
    private final Launcher launch;
    private final cl_command_queue queue;
    private final int wg;
    private final Map<QuantType, cl_kernel> matMul = new EnumMap<>(QuantType.class);
    private final Map<QuantType, cl_kernel> getRows = new EnumMap<>(QuantType.class);
    private final cl_kernel rmsNorm, softmax, rope, swiGlu, add, f32ToF16, f16ToF32, attentionF32, attentionF16;
    private ClBuffer ids;
    private ClBuffer scores;

    KernelOps(OpenClBackend backend, ClProgram program, Launcher launch, cl_command_queue queue) {
        this.backend = backend;
        this.launch = launch;
        this.queue = queue;
        this.wg = program.workGroup();
        for (QuantType t : WeightFormats.NATIVE) {
            matMul.put(t, program.kernel("matmul_" + WeightFormats.suffix(t)));
            getRows.put(t, program.kernel("get_rows_" + WeightFormats.suffix(t)));
        }
        rmsNorm = program.kernel("rms_norm");
        softmax = program.kernel("softmax");
        rope = program.kernel("rope");
        swiGlu = program.kernel("swiglu");
        add = program.kernel("add");
        f32ToF16 = program.kernel("copy_f32_f16");
        f16ToF32 = program.kernel("copy_f16_f32");
        attentionF32 = program.kernel("attention_float");
        attentionF16 = program.kernel("attention_half");
    }

    // out (n, rows) = x (n, cols) @ W^T
    void matMul(Op.MatMul m) {
        ClBuffer w = backend.buffer(m.weight());
        cl_kernel k = weightKernel(matMul, w.type(), "MatMul");
        checkWeight(w, m.rows(), m.cols(), "MatMul");
        ClBuffer x = f32(m.x(), (long) m.n() * m.cols(), "MatMul x");
        ClBuffer out = f32(m.out(), (long) m.n() * m.rows(), "MatMul out");
        if (m.n() <= 0 || m.rows() <= 0) return;
        launch.mem(k, 0, w.mem()).u64(k, 1, w.type().byteSize(m.cols())).i32(k, 2, m.cols() / WeightFormats.unitSize(w.type()))
                .mem(k, 3, x.mem()).i32(k, 4, m.cols()).mem(k, 5, out.mem()).i32(k, 6, m.rows());
        launch.groups(k, m.rows(), m.n(), wg);
    }

    // out (ids, cols) = dequantize(table[ids[i]])
    void getRows(Op.GetRows g) {
        ClBuffer table = backend.buffer(g.table());
        cl_kernel k = weightKernel(getRows, table.type(), "GetRows");
        if (g.cols() <= 0 || g.cols() % table.type().blockSize() != 0)
            throw new IllegalArgumentException("GetRows cols " + g.cols() + " must be a positive multiple of "
                    + table.type() + "'s block size " + table.type().blockSize());
        long tableRows = table.elements() / g.cols();
        for (int id : g.ids())
            if (id < 0 || id >= tableRows)
                throw new IllegalArgumentException("row id " + id + " is outside the table's 0.." + (tableRows - 1));
        ClBuffer out = f32(g.out(), (long) g.ids().length * g.cols(), "GetRows out");
        if (g.ids().length == 0) return;
        ids = backend.scratch(ids, g.ids().length); // 4-byte elements: the kernel reads them as int
        CL.clEnqueueWriteBuffer(queue, ids.mem(), true, 0, (long) g.ids().length * Sizeof.cl_int, Pointer.to(g.ids()), 0,
                null, null);
        int unit = WeightFormats.unitSize(table.type());
        launch.mem(k, 0, table.mem()).u64(k, 1, table.type().byteSize(g.cols())).i32(k, 2, g.cols() / unit).i32(k, 3, unit)
                .mem(k, 4, ids.mem()).i32(k, 5, g.cols()).mem(k, 6, out.mem());
        launch.items(k, g.cols() / unit, g.ids().length, 1);
    }

    void rmsNorm(Op.RmsNorm r) {
        long size = (long) r.n() * r.dim();
        ClBuffer x = f32(r.x(), size, "RmsNorm x");
        ClBuffer out = f32(r.out(), size, "RmsNorm out");
        ClBuffer w = f32(r.weight(), r.dim(), "RmsNorm weight");
        if (size == 0) return;
        launch.mem(rmsNorm, 0, x.mem()).mem(rmsNorm, 1, w.mem()).mem(rmsNorm, 2, out.mem()).i32(rmsNorm, 3, r.dim())
                .f32(rmsNorm, 4, r.eps());
        launch.groups(rmsNorm, r.n(), 1, wg);
    }

    void rope(Op.Rope r) {
        if (r.ropeDims() <= 0 || r.ropeDims() % 2 != 0 || r.ropeDims() > r.headDim())
            throw new IllegalArgumentException("Rope needs an even ropeDims in 2.." + r.headDim() + ", was " + r.ropeDims());
        ClBuffer x = f32(r.x(), (long) r.n() * r.heads() * r.headDim(), "Rope x");
        if (r.n() <= 0 || r.heads() <= 0) return;
        float thetaScale = (float) Math.pow(r.base(), -2.0f / r.ropeDims()); // as the CPU backend: float theta steps
        launch.mem(rope, 0, x.mem()).i32(rope, 1, r.heads()).i32(rope, 2, r.headDim()).i32(rope, 3, r.ropeDims() / 2)
                .i32(rope, 4, r.startPos()).f32(rope, 5, thetaScale).i32(rope, 6, r.style() == RopeStyle.NEOX ? 1 : 0);
        launch.items(rope, r.ropeDims() / 2, r.heads(), r.n());
    }

    void attention(Op.Attention a) {
        if (a.kvHeads() <= 0 || a.heads() % a.kvHeads() != 0)
            throw new IllegalArgumentException("Attention heads " + a.heads() + " is not a multiple of kvHeads " + a.kvHeads());
        QuantType cache = a.keys().type();
        if (cache != a.values().type() || (cache != QuantType.F32 && cache != QuantType.F16))
            throw new BackendException("Attention needs keys and values both F32 or both F16, got " + cache + " and "
                    + a.values().type());
        long qSize = (long) a.n() * a.heads() * a.headDim();
        int ctx = a.startPos() + a.n();
        long kvSize = (long) ctx * a.kvHeads() * a.headDim();
        ClBuffer q = f32(a.q(), qSize, "Attention q");
        ClBuffer out = f32(a.out(), qSize, "Attention out");
        ClBuffer k = typed(a.keys(), cache, kvSize, "Attention keys");
        ClBuffer v = typed(a.values(), cache, kvSize, "Attention values");
        if (a.n() <= 0) return;
        scores = backend.scratch(scores, (long) a.n() * a.heads() * ctx);
        cl_kernel kernel = cache == QuantType.F16 ? attentionF16 : attentionF32;
        launch.mem(kernel, 0, q.mem()).mem(kernel, 1, k.mem()).mem(kernel, 2, v.mem()).mem(kernel, 3, out.mem())
                .mem(kernel, 4, scores.mem()).i32(kernel, 5, ctx).i32(kernel, 6, a.startPos()).i32(kernel, 7, a.heads())
                .i32(kernel, 8, a.heads() / a.kvHeads()).i32(kernel, 9, a.kvHeads()).i32(kernel, 10, a.headDim())
                .f32(kernel, 11, a.scale());
        launch.groups(kernel, a.heads(), a.n(), wg);
    }

    void swiGlu(Op.SwiGlu s) {
        ClBuffer g = f32(s.gate(), s.count(), "SwiGlu gate");
        ClBuffer u = f32(s.up(), s.count(), "SwiGlu up");
        ClBuffer out = f32(s.out(), s.count(), "SwiGlu out");
        if (s.count() <= 0) return;
        launch.mem(swiGlu, 0, g.mem()).mem(swiGlu, 1, u.mem()).mem(swiGlu, 2, out.mem()).u64(swiGlu, 3, s.count());
        launch.items(swiGlu, s.count(), 1, 1);
    }

    void add(Op.Add a) {
        if (a.bCount() <= 0 || a.bCount() > a.count())
            throw new IllegalArgumentException("Add needs 0 < bCount <= count, was " + a.bCount() + " of " + a.count());
        ClBuffer x = f32(a.a(), a.count(), "Add a");
        ClBuffer b = f32(a.b(), a.bCount(), "Add b");
        ClBuffer out = f32(a.out(), a.count(), "Add out");
        launch.mem(add, 0, x.mem()).mem(add, 1, b.mem()).mem(add, 2, out.mem()).u64(add, 3, a.count()).u64(add, 4, a.bCount());
        launch.items(add, a.count(), 1, 1);
    }

    void softmax(Op.Softmax s) {
        ClBuffer x = f32(s.x(), (long) s.n() * s.dim(), "Softmax x");
        if (s.n() <= 0 || s.dim() <= 0) return;
        launch.mem(softmax, 0, x.mem()).i32(softmax, 1, s.dim());
        launch.groups(softmax, s.n(), 1, wg);
    }

    void copy(Op.Copy c) {
        ClBuffer src = backend.buffer(c.src());
        ClBuffer dst = backend.buffer(c.dst());
        QuantType st = src.type(), dt = dst.type();
        if ((st != QuantType.F32 && st != QuantType.F16) || (dt != QuantType.F32 && dt != QuantType.F16))
            throw new BackendException("Copy converts between F32 and F16 only, got " + st + " to " + dt);
        if (c.count() < 0 || c.srcOffset() < 0 || c.dstOffset() < 0)
            throw new IllegalArgumentException("Copy offsets and count must be 0 or more: " + c);
        typed(src, st, c.srcOffset() + c.count(), "Copy src");
        typed(dst, dt, c.dstOffset() + c.count(), "Copy dst");
        if (c.count() == 0) return;
        if (st == dt) {
            long size = st.byteSize(1);
            CL.clEnqueueCopyBuffer(queue, src.mem(), dst.mem(), c.srcOffset() * size, c.dstOffset() * size,
                    c.count() * size, 0, null, null);
            return;
        }
        cl_kernel k = st == QuantType.F32 ? f32ToF16 : f16ToF32;
        launch.mem(k, 0, src.mem()).u64(k, 1, c.srcOffset()).mem(k, 2, dst.mem()).u64(k, 3, c.dstOffset()).u64(k, 4, c.count());
        launch.items(k, c.count(), 1, 1);
    }

    private cl_kernel weightKernel(Map<QuantType, cl_kernel> kernels, QuantType type, String op) {
        cl_kernel k = kernels.get(type);
        if (k == null)
            throw new BackendException(op + " on the OpenCL backend runs " + WeightFormats.NATIVE + ", not " + type
                    + "; upload decodes other types to F32 (see OpenClBackend.upload)");
        return k;
    }

    private static void checkWeight(ClBuffer w, int rows, int cols, String op) {
        if (rows < 0 || cols <= 0 || cols % w.type().blockSize() != 0)
            throw new IllegalArgumentException(op + " cols " + cols + " must be a positive multiple of " + w.type()
                    + "'s block size " + w.type().blockSize() + " (rows " + rows + ")");
        if (w.elements() < (long) rows * cols)
            throw new IllegalArgumentException(op + " weight has " + w.elements() + " elements, (rows, cols) = (" + rows
                    + ", " + cols + ") needs " + (long) rows * cols);
    }

    private ClBuffer f32(io.aircela.compute.DeviceBuffer b, long elements, String what) {
        return typed(backend.buffer(b), QuantType.F32, elements, what);
    }

    private ClBuffer typed(io.aircela.compute.DeviceBuffer b, QuantType type, long elements, String what) {
        ClBuffer c = backend.buffer(b);
        if (c.type() != type || c.elements() < elements)
            throw new IllegalArgumentException(what + ": expected a " + type + " buffer of at least " + elements
                    + " elements, got " + c);
        return c;
    }
}
