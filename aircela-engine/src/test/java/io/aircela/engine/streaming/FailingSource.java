package io.aircela.engine.streaming;

import io.aircela.AirCelaException;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.Metadata;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A source whose positional reads fail once {@link #failing} is set, as if the file had been truncated after opening. */
final class FailingSource implements WeightSource {
    private final WeightSource delegate;
    volatile boolean failing;

    FailingSource(WeightSource delegate) {
        this.delegate = delegate;
    }

    @Override
    public void read(TensorInfo tensor, MemorySegment dst) {
        if (failing) throw new AirCelaException("cannot read tensor " + tensor.name() + " from " + path()
                + ": file ended while reading the tensor (was it truncated after opening?)");
        delegate.read(tensor, dst);
    }

    @Override public Path path() { return delegate.path(); }
    @Override public String format() { return delegate.format(); }
    @Override public Metadata metadata() { return delegate.metadata(); }
    @Override public Optional<ModelConfig> config() { return delegate.config(); }
    @Override public List<TensorInfo> tensors() { return delegate.tensors(); }
    @Override public List<LayerInfo> layers() { return delegate.layers(); }
    @Override public MemorySegment view(TensorInfo tensor) { return delegate.view(tensor); }
    @Override public void close() { delegate.close(); }
}
