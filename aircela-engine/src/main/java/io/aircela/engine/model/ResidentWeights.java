package io.aircela.engine.model;

import io.aircela.ModelFormatException;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.WeightSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Every weight uploaded once, before the first token: the "everything fits" tier. Weights the
 * backend runs natively are uploaded as stored (zero-copy on a host backend: the buffer aliases the
 * source's mapping); other types are dequantized to F32 first (through the {@link Dequantizer} found
 * by {@link Providers}), as are norm weights and biases, which the ops read as floats. Which tensor
 * serves which weight, in which type, is {@link ModelTensors}'s decision.
 *
 * <p>Ownership: owns the device buffers and the host copies of dequantized weights; the
 * {@link WeightSource} must stay open while this is used. Not thread-safe.
 */
public final class ResidentWeights implements WeightProvider {
    private final WeightSource source;
    private final ComputeBackend backend;
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
        try {
            ModelTensors tensors = new ModelTensors(source, config, architecture, backend.capabilities());
            Weight embedding = upload(tensors.embedding());
            Weight output = tensors.outputSharesEmbedding() ? embedding : upload(tensors.output());
            this.global = new GlobalWeights(embedding, upload(tensors.outputNorm()), output);
            this.layers = new LayerWeights[config.layers()];
            for (int i = 0; i < layers.length; i++) layers[i] = loadLayer(i, tensors);
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

    private LayerWeights loadLayer(int i, ModelTensors tensors) {
        WeightSpec[] specs = tensors.layer(i);
        Weight[] w = new Weight[specs.length];
        for (int k = 0; k < specs.length; k++) if (specs[k] != null) w[k] = upload(specs[k]);
        return ModelTensors.assemble(i, w);
    }

    /** Native types alias the mapping (zero-copy on a host backend); others go through a host F32 copy. */
    private Weight upload(WeightSpec spec) {
        MemorySegment bytes = source.view(spec.tensor());
        if (spec.converted()) {
            MemorySegment floats = hostCopies.allocate(ValueLayout.JAVA_FLOAT, spec.elements());
            ModelTensors.dequantize(spec, bytes, floats);
            bytes = floats;
        }
        DeviceBuffer b = backend.upload(bytes, spec.deviceType(), spec.elements());
        buffers.add(b);
        return new Weight(spec.tensor().name(), b, spec.rows(), spec.cols());
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
