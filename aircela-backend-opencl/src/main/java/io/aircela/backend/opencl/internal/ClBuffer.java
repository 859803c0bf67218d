package io.aircela.backend.opencl.internal;

import io.aircela.compute.DeviceBuffer;
import io.aircela.quant.QuantType;
import org.jocl.CL;
import org.jocl.cl_event;
import org.jocl.cl_mem;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A {@code cl_mem} of {@code type.byteSize(elements)} bytes (at least 1: OpenCL has no empty buffers).
 * Closing first waits for asynchronous uploads that still read the caller's host memory (the port lets the
 * caller reuse that memory once the buffer is closed: the streaming engine refills its slots), then releases
 * it (OpenCL keeps it alive until enqueued commands that use it finish); closing twice is harmless;
 * afterwards {@link #mem()} throws {@link IllegalStateException}.
 */
public final class ClBuffer implements DeviceBuffer {
    private final Object owner;
    private final QuantType type;
    private final long elements;
    private final boolean onDevice;
    private final Consumer<ClBuffer> onClose;
    private final cl_mem mem;
    private final List<cl_event> pendingWrites = new ArrayList<>();
    private volatile boolean closed;

    /**
     * @param owner    the backend that made it (buffers are not shared between backends)
     * @param onDevice false for host memory the device reads over the bus ({@code CL_MEM_ALLOC_HOST_PTR})
     * @param onClose  told once, after the memory is released
     */
    public ClBuffer(Object owner, QuantType type, long elements, cl_mem mem, boolean onDevice, Consumer<ClBuffer> onClose) {
        this.owner = owner;
        this.type = type;
        this.elements = elements;
        this.mem = mem;
        this.onDevice = onDevice;
        this.onClose = onClose;
    }

    public Object owner() {
        return owner;
    }

    /** The OpenCL handle; throws {@link IllegalStateException} once closed. */
    public cl_mem mem() {
        if (closed) throw new IllegalStateException("this OpenCL buffer is closed: " + this);
        return mem;
    }

    /** Whether the bytes live in device memory (false: host memory the device can read). */
    public boolean onDevice() {
        return onDevice;
    }

    @Override
    public QuantType type() {
        return type;
    }

    @Override
    public long elements() {
        return elements;
    }

    /** Records a non-blocking write from caller memory; {@link #close()} waits for it. */
    public synchronized void addPendingWrite(cl_event event) {
        pendingWrites.add(event);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (!pendingWrites.isEmpty()) {
            CL.clWaitForEvents(pendingWrites.size(), pendingWrites.toArray(cl_event[]::new));
            for (cl_event e : pendingWrites) CL.clReleaseEvent(e);
            pendingWrites.clear();
        }
        CL.clReleaseMemObject(mem);
        onClose.accept(this);
    }

    @Override
    public String toString() {
        return "ClBuffer[" + elements + " " + type + (onDevice ? ", device" : ", host") + (closed ? ", closed]" : "]");
    }
}
