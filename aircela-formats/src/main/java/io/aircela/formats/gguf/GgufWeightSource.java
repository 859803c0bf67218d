package io.aircela.formats.gguf;

import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.Metadata;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A GGUF file (v1, v2 or v3), memory-mapped with the FFM API. The mapping is owned by a shared
 * {@link Arena} that {@link #close()} releases; tensor views are zero-copy slices of it. Files of
 * any size work (mapping is not limited to 2 GiB).
 *
 * <p>Thread safety: every read method may be called from any thread until {@link #close()}.
 */
public final class GgufWeightSource implements WeightSource {
    private final Path path;
    private final int version;
    private final Arena arena;
    private final FileChannel channel;
    private final MemorySegment file;
    private final Metadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final List<LayerInfo> layers;
    private final ModelConfig config;
    private final long dataStart;
    private volatile boolean closed;

    private GgufWeightSource(Path path, Arena arena, FileChannel channel, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.channel = channel;
        this.file = file;
        GgufHeaderParser.Header h = new GgufHeaderParser(path, file).parse();
        this.version = h.version();
        this.metadata = new Metadata(h.metadata());
        this.tensors = List.copyOf(h.tensors());
        this.dataStart = h.dataStart();
        Map<String, TensorInfo> names = new java.util.HashMap<>();
        for (TensorInfo t : tensors) names.put(t.name(), t);
        this.byName = names;
        this.layers = groupLayers(tensors);
        this.config = tensors.isEmpty() ? null : GgufModelConfig.derive(path, metadata, h.keyOffsets(), byName, layers);
    }

    /**
     * Opens and validates a GGUF file.
     *
     * @throws ModelFormatException when the file is malformed (naming the field and byte offset)
     * @throws AirCelaException     when it cannot be read at all
     */
    public static GgufWeightSource open(Path path) {
        Arena arena = Arena.ofShared();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new GgufWeightSource(path, arena, channel, mapped);
        } catch (NoSuchFileException e) {
            closeQuietly(arena, channel);
            throw new AirCelaException("model file not found: " + path);
        } catch (IOException e) {
            closeQuietly(arena, channel);
            throw new AirCelaException("cannot read model file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(arena, channel);
            throw e;
        }
    }

    private static void closeQuietly(Arena arena, FileChannel channel) {
        arena.close();
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was read; the open error is the one to report
            }
        }
    }

    private static List<LayerInfo> groupLayers(List<TensorInfo> tensors) {
        Map<Integer, List<TensorInfo>> groups = new TreeMap<>();
        for (TensorInfo t : tensors)
            if (t.layer() >= 0) groups.computeIfAbsent(t.layer(), k -> new ArrayList<>()).add(t);
        List<LayerInfo> out = new ArrayList<>(groups.size());
        for (Map.Entry<Integer, List<TensorInfo>> e : groups.entrySet()) {
            long first = Long.MAX_VALUE, end = 0, bytes = 0;
            for (TensorInfo t : e.getValue()) {
                first = Math.min(first, t.offset());
                end = Math.max(end, t.end());
                bytes += t.byteSize();
            }
            out.add(new LayerInfo(e.getKey(), e.getValue(), first, end, bytes));
        }
        return List.copyOf(out);
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
        return file.asSlice(tensor.offset(), tensor.byteSize()).asReadOnly();
    }

    /**
     * Reads the tensor's bytes with positional file reads (not through the mapping), so the caller's
     * buffer, not the page cache's mapping, holds the data.
     */
    @Override
    public void read(TensorInfo tensor, MemorySegment dst) {
        checkOpen();
        checkOwn(tensor);
        if (dst.byteSize() < tensor.byteSize())
            throw new IllegalArgumentException("buffer of " + dst.byteSize() + " bytes is too small for "
                    + tensor.name() + " (" + tensor.byteSize() + " bytes)");
        long done = 0;
        try {
            while (done < tensor.byteSize()) {
                int chunk = (int) Math.min(1 << 30, tensor.byteSize() - done);
                ByteBuffer bb = dst.asSlice(done, chunk).asByteBuffer();
                while (bb.hasRemaining()) {
                    int n = channel.read(bb, tensor.offset() + done + bb.position());
                    if (n < 0) throw new ModelFormatException(path, tensor.name(), tensor.offset() + done,
                            "file ended while reading the tensor (was it truncated after opening?)");
                }
                done += chunk;
            }
        } catch (IOException e) {
            throw new AirCelaException("cannot read tensor " + tensor.name() + " from " + path + ": " + e.getMessage(), e);
        }
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
        if (closed) return;
        synchronized (this) {
            if (closed) return;
            closed = true;
            closeQuietly(arena, channel);
        }
    }

    /** Whether a file starts with the GGUF magic (reads 4 bytes; false when unreadable). */
    static boolean hasMagic(Path path) {
        if (!Files.isRegularFile(path)) return false;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) if (ch.read(b) < 0) return false;
            return b.getInt(0) == GgufHeaderParser.MAGIC;
        } catch (IOException e) {
            return false;
        }
    }
}
