package io.aircela.engine.model;

import io.aircela.ModelFormatException;
import io.aircela.compute.Capabilities;
import io.aircela.compute.OpKind;
import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.QuantType;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Set;

/**
 * Which stored tensor serves each weight of the forward pass, with its shape checked against the
 * model's config and the type the backend takes it in. The one place this is decided, so the resident
 * and the streamed weight providers hand the kernels exactly the same bytes.
 *
 * <p>Immutable after construction; thread-safe.
 */
public final class ModelTensors {
    private final WeightSource source;
    private final ModelConfig config;
    private final Architecture arch;
    private final Capabilities caps;
    private final WeightSpec embedding, outputNorm, output;
    private final boolean outputSharesEmbedding;

    /**
     * Resolves the global weights at once; layers are resolved by {@link #layer}.
     *
     * @throws ModelFormatException when a tensor is missing or has the wrong shape
     */
    public ModelTensors(WeightSource source, ModelConfig config, Architecture arch, Capabilities caps) {
        this.source = source;
        this.config = config;
        this.arch = arch;
        this.caps = caps;
        int vocab = config.vocabSize(), dim = config.dim();
        TensorInfo embd = require("token_embd.weight", vocab, dim);
        this.embedding = matrix(embd, vocab, dim, OpKind.GET_ROWS);
        this.outputNorm = vector(require("output_norm.weight", 1, dim), dim);
        TensorInfo out = source.tensor("output.weight").orElse(null);
        // tied and natively run: the LM head is the embedding table's device buffer
        this.outputSharesEmbedding = out == null && caps.supports(OpKind.MATMUL, embedding.deviceType());
        if (out != null) output = matrix(checkShape(out, vocab, dim), vocab, dim, OpKind.MATMUL);
        else if (outputSharesEmbedding) output = embedding;
        else output = matrix(embd, vocab, dim, OpKind.MATMUL);
    }

    /** {@code (vocab, dim)}, read with GetRows. */
    public WeightSpec embedding() {
        return embedding;
    }

    /** {@code (dim)}, F32. */
    public WeightSpec outputNorm() {
        return outputNorm;
    }

    /** {@code (vocab, dim)}, the LM head (the embedding tensor when tied). */
    public WeightSpec output() {
        return output;
    }

    /** Whether the LM head is the embedding's own device buffer (tied weights the backend multiplies natively). */
    public boolean outputSharesEmbedding() {
        return outputSharesEmbedding;
    }

    /**
     * Layer {@code i}'s weights, indexed by {@link LayerTensor#ordinal()}; null where the architecture
     * does not use the tensor or an optional one is absent.
     *
     * @throws ModelFormatException when a tensor is missing or has the wrong shape
     */
    public WeightSpec[] layer(int i) {
        int dim = config.dim(), q = config.heads() * config.headDim(), kv = config.kvDim(), ffn = config.ffnDim();
        WeightSpec[] w = new WeightSpec[LayerTensor.values().length];
        w[LayerTensor.ATTN_NORM.ordinal()] = vec(i, LayerTensor.ATTN_NORM, dim);
        w[LayerTensor.ATTN_Q.ordinal()] = mat(i, LayerTensor.ATTN_Q, q, dim);
        w[LayerTensor.ATTN_K.ordinal()] = mat(i, LayerTensor.ATTN_K, kv, dim);
        w[LayerTensor.ATTN_V.ordinal()] = mat(i, LayerTensor.ATTN_V, kv, dim);
        w[LayerTensor.ATTN_Q_BIAS.ordinal()] = vec(i, LayerTensor.ATTN_Q_BIAS, q);
        w[LayerTensor.ATTN_K_BIAS.ordinal()] = vec(i, LayerTensor.ATTN_K_BIAS, kv);
        w[LayerTensor.ATTN_V_BIAS.ordinal()] = vec(i, LayerTensor.ATTN_V_BIAS, kv);
        w[LayerTensor.ATTN_OUTPUT.ordinal()] = mat(i, LayerTensor.ATTN_OUTPUT, dim, q);
        w[LayerTensor.FFN_NORM.ordinal()] = vec(i, LayerTensor.FFN_NORM, dim);
        w[LayerTensor.FFN_GATE.ordinal()] = mat(i, LayerTensor.FFN_GATE, ffn, dim);
        w[LayerTensor.FFN_UP.ordinal()] = mat(i, LayerTensor.FFN_UP, ffn, dim);
        w[LayerTensor.FFN_DOWN.ordinal()] = mat(i, LayerTensor.FFN_DOWN, dim, ffn);
        return w;
    }

    /** The {@link LayerWeights} of layer {@code index} from weights indexed by {@link LayerTensor#ordinal()}. */
    public static LayerWeights assemble(int index, Weight[] w) {
        return new LayerWeights(index, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11]);
    }

    /**
     * Dequantizes {@code spec}'s stored bytes {@code src} to {@code rows * cols} F32 values in {@code dst},
     * a row at a time (rows can be many; a row fits an array).
     */
    public static void dequantize(WeightSpec spec, MemorySegment src, MemorySegment dst) {
        TensorInfo t = spec.tensor();
        int rows = spec.rows(), cols = spec.cols();
        Dequantizer dq = Providers.dequantizer(t.type().name());
        float[] row = new float[cols];
        long rowBytes = t.type().byteSize(cols);
        for (int r = 0; r < rows; r++) {
            dq.dequantize(src, r * rowBytes, row, 0, cols);
            MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_FLOAT, (long) r * cols * Float.BYTES, cols);
        }
    }

    private WeightSpec mat(int layer, LayerTensor t, int rows, int cols) {
        return matrix(require(t.nameIn(layer), rows, cols), rows, cols, OpKind.MATMUL);
    }

    /** A vector tensor: required ones must exist, optional ones may; others are not read at all. */
    private WeightSpec vec(int layer, LayerTensor t, int size) {
        Set<LayerTensor> required = arch.requiredTensors(), optional = arch.optionalTensors();
        String name = t.nameIn(layer);
        if (required.contains(t)) return vector(require(name, 1, size), size);
        if (!optional.contains(t)) return null;
        TensorInfo info = source.tensor(name).orElse(null);
        return info == null ? null : vector(checkShape(info, 1, size), size);
    }

    private WeightSpec matrix(TensorInfo t, int rows, int cols, OpKind use) {
        return new WeightSpec(t, rows, cols, caps.supports(use, t.type()) ? t.type() : QuantType.F32);
    }

    private static WeightSpec vector(TensorInfo t, int size) {
        return new WeightSpec(t, 1, size, QuantType.F32);
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
}
