package io.aircela.formats.gguf;

import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;
import io.aircela.formats.internal.MappedFile;
import io.aircela.formats.internal.TensorLayers;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.Metadata;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (v1, v2 or v3), memory-mapped with the FFM API. The mapping is owned by a shared
 * {@link java.lang.foreign.Arena} that {@link #close()} releases; tensor views are zero-copy slices of
 * it. Files of any size work (mapping is not limited to 2 GiB).
 *
 * <p>Thread safety: every read method may be called from any thread until {@link #close()}.
 *
 * <p>The whole header is validated when the file is opened (every count and length against the bytes
 * left, every tensor's range against the file), so a malformed file fails there with a
 * {@link ModelFormatException}. A file that another process truncates while it is mapped is outside
 * that promise: touching a vanished page of a mapping is a fault the JVM reports as an {@link InternalError}.
 */
public final class GgufWeightSource implements WeightSource {
    private final Path path;
    private final int version;
    private final MappedFile file;
    private final Metadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final List<LayerInfo> layers;
    private final ModelConfig config;
    private final long dataStart;
    private volatile boolean closed;

    private GgufWeightSource(Path path, MappedFile file) {
        this.path = path;
        this.file = file;
        GgufHeaderParser.Header h = new GgufHeaderParser(path, file.segment()).parse();
        this.version = h.version();
        this.metadata = new Metadata(h.metadata());
        this.tensors = List.copyOf(h.tensors());
        this.dataStart = h.dataStart();
        Map<String, TensorInfo> names = new java.util.HashMap<>();
        for (TensorInfo t : tensors) names.put(t.name(), t);
        this.byName = names;
        this.layers = TensorLayers.group(tensors);
        this.config = tensors.isEmpty() ? null : GgufModelConfig.derive(path, metadata, h.keyOffsets(), byName, layers);
    }

    /**
     * Opens and validates a GGUF file.
     *
     * @throws ModelFormatException when the file is malformed (naming the field and byte offset)
     * @throws AirCelaException     when it cannot be read at all
     */
    public static GgufWeightSource open(Path path) {
        MappedFile file;
        try {
            file = MappedFile.open(path);
        } catch (NoSuchFileException e) {
            throw new AirCelaException("model file not found: " + path);
        } catch (IOException e) {
            throw new AirCelaException("cannot read model file " + path + ": " + e.getMessage(), e);
        }
        try {
            return new GgufWeightSource(path, file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A short description of a metadata value's type, for messages. */
    static String describe(Object v) {
        return switch (v) {
            case null -> "nothing";
            case Long l -> "integer " + l;
            case Float f -> "float " + f;
            case Double d -> "float " + d;
            case Boolean b -> "bool " + b;
            case String s -> "string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
            default -> "an array";
        };
    }

    /** GGUF version (1, 2 or 3). */
    public int version() {
        return version;
    }

    /** Absolute byte offset where tensor data starts. */
    public long dataStart() {
        return dataStart;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "GGUF v" + version;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public Optional<ModelConfig> config() {
        return Optional.ofNullable(config);
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Optional<TensorInfo> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    @Override
    public List<LayerInfo> layers() {
        return layers;
    }

    @Override
    public MemorySegment view(TensorInfo tensor) {
        checkOpen();
        checkOwn(tensor);
        return file.slice(tensor.offset(), tensor.byteSize());
    }

    /**
     * Reads the tensor's bytes with positional file reads (not through the mapping), so the caller's
     * buffer, not the page cache's mapping, holds the data.
     */
    @Override
    public void read(TensorInfo tensor, MemorySegment dst) {
        checkOpen();
        checkOwn(tensor);
        file.readTensor(tensor.offset(), tensor.byteSize(), dst, tensor.name(), tensor.name());
    }

    private void checkOwn(TensorInfo tensor) {
        if (byName.get(tensor.name()) != tensor && !tensor.equals(byName.get(tensor.name())))
            throw new IllegalArgumentException("tensor " + tensor.name() + " does not belong to " + path);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("weight source " + path + " is closed");
    }

    @Override
    public void close() {
        closed = true;
        file.close(); // once: MappedFile ignores later calls
    }

    /** Whether a file starts with the GGUF magic (reads 4 bytes; false when unreadable). */
    static boolean hasMagic(Path path) {
        if (!Files.isRegularFile(path)) return false;
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        return MappedFile.readHead(path, b) >= 0 && b.getInt(0) == GgufHeaderParser.MAGIC;
    }
}
