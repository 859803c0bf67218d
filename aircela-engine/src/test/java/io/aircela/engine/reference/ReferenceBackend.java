package io.aircela.engine.reference;

import io.aircela.BackendException;
import io.aircela.compute.Capabilities;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.compute.OpKind;
import io.aircela.quant.Fp16;
import io.aircela.quant.QuantType;
import io.aircela.weights.RopeStyle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Set;

/**
 * A plain, single-threaded, double-accumulating backend for tests: the engine's second opinion
 * and its way to run before a real backend exists. Runs F32 weights only (the engine dequantizes
 * every other type for it), F32 or F16 KV rows. Slow on purpose: clarity over speed.
 */
public final class ReferenceBackend implements ComputeBackend {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final Arena arena = Arena.ofShared();
    private boolean closed;

    record Buf(QuantType type, long elements, MemorySegment seg) implements DeviceBuffer {
        @Override
        public void close() {
        }
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(EnumSet.allOf(OpKind.class), Set.of(QuantType.F32), Set.of(QuantType.F32, QuantType.F16));
    }

    @Override
    public DeviceBuffer allocate(QuantType type, long elements) {
        return new Buf(type, elements, arena.allocate(type.byteSize(elements), 16));
    }

    @Override
    public DeviceBuffer upload(MemorySegment bytes, QuantType type, long elements) {
        return new Buf(type, elements, bytes);
    }

    @Override
    public void write(DeviceBuffer dst, long off, MemorySegment src) {
        MemorySegment.copy(src, 0, seg(dst), off, src.byteSize());
    }

    @Override
    public void read(DeviceBuffer src, long off, MemorySegment dst) {
        MemorySegment.copy(seg(src), off, dst, 0, dst.byteSize());
    }

    private static MemorySegment seg(DeviceBuffer b) {
        return ((Buf) b).seg();
    }

    static float get(DeviceBuffer b, long i) {
        MemorySegment s = seg(b);
        return b.type() == QuantType.F16 ? Fp16.toFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i)) : s.getAtIndex(F, i);
    }

    static void set(DeviceBuffer b, long i, float v) {
        MemorySegment s = seg(b);
        if (b.type() == QuantType.F16) s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Fp16.fromFloat(v));
        else s.setAtIndex(F, i, v);
    }

    @Override
    public void run(Op op) {
        if (closed) throw new IllegalStateException("closed");
        switch (op) {
            case Op.GetRows g -> {
                for (int r = 0; r < g.ids().length; r++)
                    for (int c = 0; c < g.cols(); c++) set(g.out(), (long) r * g.cols() + c, get(g.table(), (long) g.ids()[r] * g.cols() + c));
            }
            case Op.MatMul m -> {
                if (m.weight().type() != QuantType.F32) throw new BackendException("reference backend runs F32 weights only");
                float[] row = new float[m.rows()];
                for (int i = 0; i < m.n(); i++) {
                    for (int r = 0; r < m.rows(); r++) {
                        double s = 0;
                        for (int c = 0; c < m.cols(); c++) s += (double) get(m.weight(), (long) r * m.cols() + c) * get(m.x(), (long) i * m.cols() + c);
                        row[r] = (float) s;
                    }
                    for (int r = 0; r < m.rows(); r++) set(m.out(), (long) i * m.rows() + r, row[r]);
                }
            }
            case Op.RmsNorm n -> {
                for (int i = 0; i < n.n(); i++) {
                    double ss = 0;
                    for (int d = 0; d < n.dim(); d++) ss += Math.pow(get(n.x(), (long) i * n.dim() + d), 2);
                    float scale = (float) (1.0 / Math.sqrt(ss / n.dim() + n.eps()));
                    for (int d = 0; d < n.dim(); d++) {
                        long at = (long) i * n.dim() + d;
                        set(n.out(), at, get(n.x(), at) * scale * get(n.weight(), d));
                    }
                }
            }
            case Op.Rope r -> rope(r);
            case Op.Attention a -> attention(a);
            case Op.SwiGlu s -> {
                for (long i = 0; i < s.count(); i++) {
                    float g = get(s.gate(), i);
                    set(s.out(), i, (float) (g / (1 + Math.exp(-g))) * get(s.up(), i));
                }
            }
            case Op.Add a -> {
                for (long i = 0; i < a.count(); i++) set(a.out(), i, get(a.a(), i) + get(a.b(), i % a.bCount()));
            }
            case Op.Softmax s -> {
                for (int i = 0; i < s.n(); i++) softmaxRow(s.x(), (long) i * s.dim(), s.dim());
            }
            case Op.Copy c -> {
                for (long i = 0; i < c.count(); i++) set(c.dst(), c.dstOffset() + i, get(c.src(), c.srcOffset() + i));
            }
        }
    }

    private static void rope(Op.Rope r) {
        for (int i = 0; i < r.n(); i++) {
            int pos = r.startPos() + i;
            for (int h = 0; h < r.heads(); h++) {
                long base = ((long) i * r.heads() + h) * r.headDim();
                for (int j = 0; j < r.ropeDims() / 2; j++) {
                    double theta = pos * Math.pow(r.base(), -2.0 * j / r.ropeDims());
                    long a = r.style() == RopeStyle.NORMAL ? base + 2L * j : base + j;
                    long b = r.style() == RopeStyle.NORMAL ? a + 1 : base + j + r.ropeDims() / 2;
                    float x0 = get(r.x(), a), x1 = get(r.x(), b);
                    double c = Math.cos(theta), s = Math.sin(theta);
                    set(r.x(), a, (float) (x0 * c - x1 * s));
                    set(r.x(), b, (float) (x0 * s + x1 * c));
                }
            }
        }
    }

    private static void attention(Op.Attention a) {
        int hd = a.headDim(), qDim = a.heads() * hd, kvDim = a.kvHeads() * hd, group = a.heads() / a.kvHeads();
        for (int i = 0; i < a.n(); i++) {
            int len = a.startPos() + i + 1;
            for (int h = 0; h < a.heads(); h++) {
                int kvh = h / group;
                double[] w = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < len; t++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += asKv(a.keys(), get(a.q(), (long) i * qDim + h * hd + d)) * get(a.keys(), (long) t * kvDim + kvh * hd + d);
                    w[t] = s * a.scale();
                    max = Math.max(max, w[t]);
                }
                double sum = 0;
                for (int t = 0; t < len; t++) sum += (w[t] = Math.exp(w[t] - max));
                for (int d = 0; d < hd; d++) {
                    double o = 0;
                    for (int t = 0; t < len; t++) o += asKv(a.values(), (float) (w[t] / sum)) * get(a.values(), (long) t * kvDim + kvh * hd + d);
                    set(a.out(), (long) i * qDim + h * hd + d, (float) o);
                }
            }
        }
    }

    // ggml's CPU attention (without flash attention) multiplies in the cache's type: an F16 cache means fp16 operands.
    private static float asKv(DeviceBuffer kv, float x) {
        return kv.type() == QuantType.F16 ? Fp16.toFloat(Fp16.fromFloat(x)) : x;
    }

    private static void softmaxRow(DeviceBuffer x, long off, int dim) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int d = 0; d < dim; d++) max = Math.max(max, get(x, off + d));
        for (int d = 0; d < dim; d++) sum += Math.exp(get(x, off + d) - max);
        for (int d = 0; d < dim; d++) set(x, off + d, (float) (Math.exp(get(x, off + d) - max) / sum));
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }
}
