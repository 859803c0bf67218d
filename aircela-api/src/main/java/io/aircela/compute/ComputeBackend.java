package io.aircela.compute;

import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;

/**
 * A device that does the arithmetic of a transformer block.
 *
 * <p>Ownership: the backend owns every {@link DeviceBuffer} it made and every thread it started;
 * {@link #close()} frees them all (closing twice is harmless). A backend is used by one thread at a
 * time; {@link #run} may use many threads internally and returns when the result is ready to
 * {@link #read}.
 */
public interface ComputeBackend extends AutoCloseable {

    /** Provider name, e.g. {@code "cpu"}. */
    String name();

    /** Which ops and types run natively. */
    Capabilities capabilities();

    /** A zero-filled buffer of {@code elements} values of {@code type} (F32 or F16 activations, KV rows). */
    DeviceBuffer allocate(QuantType type, long elements);

    /**
     * Makes a weight tensor's raw stored bytes available to the device ({@code elements} weights of
     * {@code type}, {@code type.byteSize(elements)} bytes). A host backend may alias {@code bytes}
     * (zero-copy): the caller keeps them alive and unchanged while the buffer is used.
     */
    DeviceBuffer upload(MemorySegment bytes, QuantType type, long elements);

    /**
     * Says the caller runs under a memory budget that planned for the uploaded weights as they are: from now on
     * the backend keeps no extra copy of an uploaded weight (such as a faster layout made on the side). A backend
     * that makes none does nothing (the default).
     */
    default void keepWeightsAsUploaded() {
    }

    /** Copies {@code src}'s bytes into {@code dst} starting at byte {@code dstByteOffset}. */
    void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src);

    /** Copies {@code dst.byteSize()} bytes of {@code src} starting at byte {@code srcByteOffset} into {@code dst}. */
    void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst);

    /** Runs one operation. Throws {@link io.aircela.BackendException} for an op it does not support. */
    void run(Op op);

    /**
     * Runs operations that are independent of each other (none reads a buffer another one writes), such as the
     * query, key and value projections of one input: a backend may run them as one step (one parallel loop, one
     * kernel launch) instead of one after the other. The results are those of {@link #run} on each in order, which
     * is what the default does.
     */
    default void runIndependent(Op... ops) {
        for (Op op : ops) run(op);
    }

    @Override
    void close();
}
