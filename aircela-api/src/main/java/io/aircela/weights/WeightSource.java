package io.aircela.weights;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An opened model: its configuration, metadata and tensors.
 *
 * <p>Ownership: the source owns the mapping of its file(s); {@link #view} slices are valid until
 * {@link #close()}, which releases them (later access fails with {@link IllegalStateException}).
 * Closing twice is harmless. Reads are thread-safe; close is not concurrent with reads.
 */
public interface WeightSource extends AutoCloseable {

    /** The file or folder this source was opened from. */
    Path path();

    /** Human-readable format and version, e.g. {@code "GGUF v3"}. */
    String format();

    /** Key/value metadata (for GGUF: every header key; for HF folders: config.json values). */
    Metadata metadata();

    /**
     * The model's hyper-parameters, checked against the tensors; empty for files that hold no
     * weights (vocabulary-only GGUF files).
     */
    Optional<ModelConfig> config();

    /** Every tensor in file order. */
    List<TensorInfo> tensors();

    /** The tensors grouped per transformer layer, by layer index. */
    List<LayerInfo> layers();

    /** A zero-copy, read-only view of the tensor's bytes, valid until {@link #close()}. */
    MemorySegment view(TensorInfo tensor);

    /**
     * Copies the tensor's bytes into a caller-owned segment of at least {@code tensor.byteSize()}
     * bytes (the streaming path: the caller decides where the bytes live).
     */
    default void read(TensorInfo tensor, MemorySegment dst) {
        MemorySegment.copy(view(tensor), 0, dst, 0, tensor.byteSize());
    }

    /** The tensor with this exact name, if any. */
    default Optional<TensorInfo> tensor(String name) {
        for (TensorInfo t : tensors()) if (t.name().equals(name)) return Optional.of(t);
        return Optional.empty();
    }

    @Override
    void close();
}
