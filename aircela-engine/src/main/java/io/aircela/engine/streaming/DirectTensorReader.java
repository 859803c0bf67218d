package io.aircela.engine.streaming;

import io.aircela.AirCelaException;
import io.aircela.weights.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads tensors with the page cache bypassed ({@code O_DIRECT} through
 * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}), so streaming a model larger than RAM does not
 * evict everything else. O_DIRECT wants the file offset, the length and the buffer address aligned
 * to the file system's block size: a read covers the block-aligned range around the tensor and the
 * tensor's bytes are the slice at its offset within that block. {@link #readSpan} reads a whole layer
 * whose tensors lie together in one call.
 *
 * <p>Thread-safe (positional reads on one channel). Owns the channel; closing twice is harmless.
 */
public final class DirectTensorReader implements TensorReader {
    private static final long MAX_BLOCK = 1 << 20;
    /** Largest single read (block-aligned, under what one ByteBuffer can address). */
    private static final int MAX_READ = 1 << 30;
    private final Path file;
    private final FileChannel channel;
    private final long block;

    private DirectTensorReader(Path file, FileChannel channel, long block) {
        this.file = file;
        this.channel = channel;
        this.block = block;
    }

    /**
     * Opens {@code file} for direct reads and proves that they work with one aligned read.
     *
     * @throws IOException                   when the file system refuses O_DIRECT (tmpfs, some overlays ...)
     * @throws UnsupportedOperationException when this JDK or platform has no O_DIRECT
     */
    public static DirectTensorReader open(Path file) throws IOException {
        long block = Files.getFileStore(file).getBlockSize();
        if (block <= 0 || Long.bitCount(block) != 1 || block > MAX_BLOCK)
            throw new IOException("unusable file system block size " + block);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        try (Arena probe = Arena.ofConfined()) {
            channel.read(probe.allocate(block, block).asByteBuffer(), 0);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new DirectTensorReader(file, channel, block);
    }

    @Override
    public long regionBytes(TensorInfo tensor) {
        return alignUp(tensor.end(), block) - alignDown(tensor.offset(), block);
    }

    @Override
    public long alignment() {
        return block;
    }

    @Override
    public MemorySegment read(TensorInfo tensor, MemorySegment region) {
        long start = alignDown(tensor.offset(), block);
        long needed = tensor.end() - start;
        ByteBuffer bb = region.asSlice(0, regionBytes(tensor)).asByteBuffer();
        try {
            while (bb.position() < needed) {
                int n = channel.read(bb, start + bb.position());
                if (n < 0 || (n > 0 && bb.position() < needed && bb.position() % block != 0))
                    throw new AirCelaException("cannot read tensor " + tensor.name() + " from " + file + ": the file ended at byte "
                            + (start + bb.position()) + ", the tensor ends at " + tensor.end()
                            + " (was it truncated after opening?)");
            }
        } catch (IOException e) {
            throw new AirCelaException("cannot read tensor " + tensor.name() + " from " + file + " with O_DIRECT: "
                    + e.getMessage(), e);
        }
        return region.asSlice(tensor.offset() - start, tensor.byteSize());
    }

    @Override
    public boolean readsSpans() {
        return true;
    }

    @Override
    public void readSpan(long fileOffset, long length, MemorySegment region, String what) {
        if (fileOffset % block != 0 || region.byteSize() % block != 0 || region.address() % block != 0
                || length > region.byteSize())
            throw new IllegalArgumentException("O_DIRECT needs " + block + "-byte alignment and room; got offset "
                    + fileOffset + ", length " + length + ", region " + region.byteSize() + " at " + region.address());
        for (long done = 0; done < length; ) {
            int chunk = (int) Math.min(MAX_READ, region.byteSize() - done);
            ByteBuffer bb = region.asSlice(done, chunk).asByteBuffer();
            long needed = Math.min(chunk, length - done);
            try {
                // a short read that is not block-aligned is the end of the file: O_DIRECT cannot go on from there
                while (bb.position() < needed) {
                    int n = channel.read(bb, fileOffset + done + bb.position());
                    if (n < 0 || (bb.position() < needed && bb.position() % block != 0)) break;
                }
            } catch (IOException e) {
                throw new AirCelaException("cannot read " + what + " from " + file + " with O_DIRECT: " + e.getMessage(), e);
            }
            if (bb.position() < needed)
                throw new AirCelaException("cannot read " + what + " from " + file + ": the file ended at byte "
                        + (fileOffset + done + bb.position()) + ", " + what + " ends at " + (fileOffset + length)
                        + " (was it truncated after opening?)");
            done += chunk;
        }
    }

    @Override
    public long bytesRead(TensorInfo tensor) {
        return regionBytes(tensor);
    }

    @Override
    public boolean direct() {
        return true;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // read-only channel: nothing was written that closing could lose
        }
    }

    private static long alignUp(long x, long a) {
        return StageLayout.alignUp(x, a);
    }

    private static long alignDown(long x, long a) {
        return StageLayout.alignDown(x, a);
    }
}
