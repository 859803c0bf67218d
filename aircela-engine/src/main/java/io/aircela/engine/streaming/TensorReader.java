package io.aircela.engine.streaming;

import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;

import java.lang.foreign.MemorySegment;

/**
 * Reads a tensor's stored bytes into memory the caller owns (a slot), with positional reads rather
 * than through the mapping, so the bytes live where the engine decided. Two ways exist: through
 * {@link WeightSource#read} (the page cache keeps a copy) and {@link DirectTensorReader} (O_DIRECT,
 * the page cache is bypassed, which needs block-aligned regions).
 *
 * <p>Thread-safe: loads of different stages read at once into different regions.
 */
public interface TensorReader extends AutoCloseable {

    /** Bytes {@link #read} needs in its region for {@code tensor} (at least {@code tensor.byteSize()}). */
    long regionBytes(TensorInfo tensor);

    /** Alignment (bytes, a power of two) every region's address must have. */
    long alignment();

    /**
     * Reads {@code tensor} into {@code region} ({@link #regionBytes} bytes, {@link #alignment}-aligned)
     * and returns the slice of it that holds exactly the tensor's bytes.
     *
     * @throws io.aircela.AirCelaException when the file cannot be read (e.g. it was truncated after opening)
     */
    MemorySegment read(TensorInfo tensor, MemorySegment region);

    /** Bytes one {@link #read} of {@code tensor} takes from storage. */
    long bytesRead(TensorInfo tensor);

    /** Whether reads bypass the page cache. */
    boolean direct();

    /** Whether {@link #readSpan} works: tensor offsets are positions in one file this reader reads. */
    default boolean readsSpans() {
        return false;
    }

    /**
     * Reads at least bytes {@code [fileOffset, fileOffset + length)} of the file into {@code region} with
     * as few system calls as the OS allows (up to the region's end where the file has them).
     * {@code fileOffset}, the region's size and its address are {@link #alignment}-aligned; {@code length}
     * is at most the region's size.
     *
     * @param what names the bytes in errors ("layer 3")
     * @throws io.aircela.AirCelaException   when the file cannot be read (e.g. it was truncated after opening)
     * @throws UnsupportedOperationException when {@link #readsSpans()} is false
     */
    default void readSpan(long fileOffset, long length, MemorySegment region, String what) {
        throw new UnsupportedOperationException("this reader reads whole tensors only");
    }

    @Override
    void close();

    /** Reads through {@code source} (positional reads; the page cache keeps what it likes). */
    static TensorReader of(WeightSource source) {
        return new TensorReader() {
            @Override
            public long regionBytes(TensorInfo tensor) {
                return tensor.byteSize();
            }

            @Override
            public long alignment() {
                return 64; // a cache line: kernels read from the slot as they would from the mapping
            }

            @Override
            public MemorySegment read(TensorInfo tensor, MemorySegment region) {
                source.read(tensor, region);
                return region.asSlice(0, tensor.byteSize());
            }

            @Override
            public long bytesRead(TensorInfo tensor) {
                return tensor.byteSize();
            }

            @Override
            public boolean direct() {
                return false;
            }

            @Override
            public void close() {
                // the source belongs to the engine
            }
        };
    }
}
