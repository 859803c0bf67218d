package io.aircela.formats.internal;

import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One model file, memory-mapped read-only with the FFM API, with the channel kept open for positional
 * reads. Owns its {@link Arena} and channel; {@link #close()} releases both, and a second close does
 * nothing. Files of any size work (mapping is not limited to 2 GiB).
 *
 * <p>Thread safety: every method may be called from any thread; slices and reads are only valid until
 * {@link #close()}. Not exported: shared by the GGUF and safetensors readers of this module.
 */
public final class MappedFile implements AutoCloseable {
    /** A read is split in chunks a {@link ByteBuffer} can address. */
    private static final int CHUNK = 1 << 30;

    private final Path path;
    private final Arena arena;
    private final FileChannel channel;
    private final MemorySegment mapping;
    private boolean closed;

    private MappedFile(Path path, Arena arena, FileChannel channel, MemorySegment mapping) {
        this.path = path;
        this.arena = arena;
        this.channel = channel;
        this.mapping = mapping;
    }

    /**
     * Opens and maps the whole of {@code path}; on any failure whatever was opened is closed again.
     *
     * @throws IOException as {@link FileChannel#open} and {@link FileChannel#map} throw it (a
     *                     {@link java.nio.file.NoSuchFileException} for a missing file), for the caller to word
     */
    public static MappedFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new MappedFile(path, arena, channel, mapping);
        } catch (IOException | RuntimeException e) {
            release(arena, channel);
            throw e;
        }
    }

    /** The file this maps. */
    public Path path() {
        return path;
    }

    /** The whole mapping (read-only); valid until {@link #close()}. */
    public MemorySegment segment() {
        return mapping;
    }

    /** The file's size in bytes when it was mapped. */
    public long byteSize() {
        return mapping.byteSize();
    }

    /** A zero-copy, read-only view of {@code length} bytes at {@code offset}. */
    public MemorySegment slice(long offset, long length) {
        return mapping.asSlice(offset, length).asReadOnly();
    }

    /**
     * Copies the {@code length} bytes of a tensor at file {@code offset} into the start of {@code dst} with
     * positional file reads (not through the mapping), so the caller's buffer, not the page cache's
     * mapping, holds the data.
     *
     * @param tensor the tensor's name as the caller presents it, for messages
     * @param field  the name the file stores it under, for the {@link ModelFormatException}
     * @throws IllegalArgumentException when {@code dst} is smaller than {@code length}
     * @throws ModelFormatException     when the file ends first (it was truncated after opening), at the byte where it ended
     * @throws AirCelaException         on an I/O error
     */
    public void readTensor(long offset, long length, MemorySegment dst, String tensor, String field) {
        if (dst.byteSize() < length)
            throw new IllegalArgumentException("buffer of " + dst.byteSize() + " bytes is too small for "
                    + tensor + " (" + length + " bytes)");
        long done = 0;
        try {
            while (done < length) {
                int chunk = (int) Math.min(CHUNK, length - done);
                ByteBuffer bb = dst.asSlice(done, chunk).asByteBuffer();
                while (bb.hasRemaining()) {
                    long at = offset + done + bb.position();
                    if (channel.read(bb, at) < 0) throw new ModelFormatException(path, field, at,
                            "file ended while reading the tensor (was it truncated after opening?)");
                }
                done += chunk;
            }
        } catch (IOException e) {
            throw new AirCelaException("cannot read tensor " + tensor + " from " + path + ": " + e.getMessage(), e);
        }
    }

    /** Unmaps the file and closes the channel; later calls do nothing. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        release(arena, channel);
    }

    private static void release(Arena arena, FileChannel channel) {
        arena.close();
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // a read-only channel has nothing to flush; the caller's own error, if any, is the one to report
        }
    }

    /**
     * Fills {@code head} from the start of {@code path}, for a cheap format probe.
     *
     * @return the file's size in bytes, or -1 when it is shorter than {@code head} or cannot be read
     */
    public static long readHead(Path path, ByteBuffer head) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            while (head.hasRemaining()) if (ch.read(head) < 0) return -1;
            return ch.size();
        } catch (IOException e) {
            return -1;
        }
    }
}
