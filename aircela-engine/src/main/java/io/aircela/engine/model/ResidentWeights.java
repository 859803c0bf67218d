package io.aircela.engine.model;

import io.aircela.ModelFormatException;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.OpKind;
import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.QuantType;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Every weight uploaded once, before the first token: the "everything fits" tier. Weights the
 * backend runs natively are uploaded as stored (zero-copy on a host backend: the buffer aliases the
 * source's mapping); other types are dequantized to F32 first (through the {@link Dequantizer} found
 * by {@link Providers}), as are norm weights and biases, which the ops read as floats.
 *
 * <p>Ownership: owns the device buffers and the host copies of dequantized weights; the
 * {@link WeightSource} must stay open while this is used. Not thread-safe.
 */
public final class ResidentWeights implements WeightProvider {
    private final WeightSource source;
    private final ComputeBackend backend;
    private final ModelConfig config;
    private final Arena hostCopies = Arena.ofShared();
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private final GlobalWeights global;
    private final LayerWeights[] layers;
    private boolean closed;

    /**
     * Uploads every tensor {@code architecture} needs, checking each one's shape against {@code config}.
     *
     * @throws ModelFormatException when a tensor is missing or has the wrong shape
     */
    public ResidentWeights(WeightSource source, ModelConfig config, Architecture architecture, ComputeBackend backend) {
        this.source = source;
        this.backend = backend;
        this.config = config;
        try {
            this.global = loadGlobal();
            this.layers = new LayerWeights[config.layers()];
            for (int i = 0; i < layers.length; i++) layers[i] = loadLayer(i, architecture);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public GlobalWeights global() {
        checkOpen();
        return global;
    }

    @Override
    public LayerWeights acquire(int layer) {
        checkOpen();
        return layers[layer];
    }

    @Override
    public void release(LayerWeights weights) {
        // resident: nothing to give back
    }

    private GlobalWeights loadGlobal() {
        int vocab = config.vocabSize(), dim = config.dim();
        TensorInfo embd = require("token_embd.weight", vocab, dim);
        Weight embedding = upload(embd, vocab, dim, OpKind.GET_ROWS);
        Weight norm = vector(require("output_norm.weight", 1, dim), dim);
        TensorInfo out = source.tensor("output.weight").orElse(null);
        Weight output;
        if (out != null) {
            output = upload(checkShape(out, vocab, dim), vocab, dim, OpKind.MATMUL);
        } else if (backend.capabilities().supports(OpKind.MATMUL, embedding.type())) {
            output = embedding; // tied: the LM head is the embedding table
        } else {
            output = upload(embd, vocab, dim, OpKind.MATMUL);
        }
        return new GlobalWeights(embedding, norm, output);
    }

    private LayerWeights loadLayer(int i, Architecture arch) {
        int dim = config.dim(), q = config.heads() * config.headDim(), kv = config.kvDim(), ffn = config.ffnDim();
        Set<LayerTensor> required = arch.requiredTensors(), optional = arch.optionalTensors();
        return new LayerWeights(i,
                vec(i, LayerTensor.ATTN_NORM, dim, required, optional),
                mat(i, LayerTensor.ATTN_Q, q, dim), mat(i, LayerTensor.ATTN_K, kv, dim), mat(i, LayerTensor.ATTN_V, kv, dim),
                vec(i, LayerTensor.ATTN_Q_BIAS, q, required, optional),
                vec(i, LayerTensor.ATTN_K_BIAS, kv, required, optional),
                vec(i, LayerTensor.ATTN_V_BIAS, kv, required, optional),
                mat(i, LayerTensor.ATTN_OUTPUT, dim, q),
                vec(i, LayerTensor.FFN_NORM, dim, required, optional),
                mat(i, LayerTensor.FFN_GATE, ffn, dim), mat(i, LayerTensor.FFN_UP, ffn, dim),
                mat(i, LayerTensor.FFN_DOWN, dim, ffn));
    }

    private Weight mat(int layer, LayerTensor t, int rows, int cols) {
        return upload(require(t.nameIn(layer), rows, cols), rows, cols, OpKind.MATMUL);
    }

    /** A vector tensor: required ones must exist, optional ones may; others are not read at all. */
    private Weight vec(int layer, LayerTensor t, int size, Set<LayerTensor> required, Set<LayerTensor> optional) {
        String name = t.nameIn(layer);
        if (required.contains(t)) return vector(require(name, 1, size), size);
        if (!optional.contains(t)) return null;
        TensorInfo info = source.tensor(name).orElse(null);
        return info == null ? null : vector(checkShape(info, 1, size), size);
    }

    private TensorInfo require(String name, int rows, int cols) {
        TensorInfo t = source.tensor(name).orElseThrow(() -> new ModelFormatException(source.path(), name, -1,
                "tensor missing; a " + config.architecture() + " model needs it"));
        return checkShape(t, rows, cols);
    }

    private TensorInfo checkShape(TensorInfo t, int rows, int cols) {
        boolean ok = rows == 1 ? t.elements() == cols && t.cols() == cols
                : t.rank() == 2 && t.dim(0) == cols && t.dim(1) == rows;
        if (!ok)
            throw new ModelFormatException(source.path(), t.name(), t.offset(), "shape " + Arrays.toString(t.shape())
                    + " does not match the model's dimensions: expected [" + cols + (rows == 1 ? "" : ", " + rows) + "]");
        return t;
    }

    private Weight upload(TensorInfo t, int rows, int cols, OpKind use) {
        if (backend.capabilities().supports(use, t.type())) {
            return keep(new Weight(t.name(), backend.upload(source.view(t), t.type(), t.elements()), rows, cols));
        }
        MemorySegment floats = dequantize(t, rows, cols);
        return keep(new Weight(t.name(), backend.upload(floats, QuantType.F32, t.elements()), rows, cols));
    }

    private Weight vector(TensorInfo t, int size) {
        MemorySegment floats = t.type() == QuantType.F32 ? source.view(t) : dequantize(t, 1, size);
        return keep(new Weight(t.name(), backend.upload(floats, QuantType.F32, size), 1, size));
    }

    /** Host F32 copy of a stored tensor, a row at a time (rows can be many; a row fits an array). */
    private MemorySegment dequantize(TensorInfo t, int rows, int cols) {
        Dequantizer dq = Providers.dequantizer(t.type().name());
        MemorySegment src = source.view(t);
        MemorySegment dst = hostCopies.allocate(ValueLayout.JAVA_FLOAT, (long) rows * cols);
        float[] row = new float[cols];
        long rowBytes = t.type().byteSize(cols);
        for (int r = 0; r < rows; r++) {
            dq.dequantize(src, r * rowBytes, row, 0, cols);
            MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_FLOAT, (long) r * cols * Float.BYTES, cols);
        }
        return dst;
    }

    private Weight keep(Weight w) {
        buffers.add(w.buffer());
        return w;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("weights are closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (DeviceBuffer b : buffers) b.close();
        buffers.clear();
        hostCopies.close();
    }
}
