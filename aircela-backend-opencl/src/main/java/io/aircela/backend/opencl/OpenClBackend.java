package io.aircela.backend.opencl;

import io.aircela.BackendException;
import io.aircela.backend.opencl.internal.ClBuffer;
import io.aircela.backend.opencl.internal.ClDevice;
import io.aircela.backend.opencl.internal.ClProgram;
import io.aircela.backend.opencl.internal.Launcher;
import io.aircela.backend.opencl.internal.WeightFormats;
import io.aircela.compute.Capabilities;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.compute.OpKind;
import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.QuantType;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_mem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_MEM_ALLOC_HOST_PTR;
import static org.jocl.CL.CL_MEM_READ_WRITE;

/**
 * The OpenCL compute backend: one device, one context, one in-order command queue.
 *
 * <p>Memory: {@link #allocate} makes a zero-filled device buffer. {@link #upload} copies a weight's raw
 * stored bytes to the device (the kernels decode F32, F16, Q8_0, Q4_0, Q4_K and Q6_K themselves); any
 * other type with an installed {@link Dequantizer} is decoded on the host and stored as F32, so the
 * returned buffer's {@link DeviceBuffer#type()} is then F32. Uploads from native, shared memory (mapped
 * files, shared arenas) are <em>asynchronous</em>: a non-blocking write from the caller's memory that the
 * queue finishes before any later kernel reads the buffer, so the caller's next upload (or disk read)
 * overlaps the transfer; as the port says, the caller keeps those bytes alive and unchanged while the
 * buffer is used. Heap and thread-confined memory goes through a host staging copy and blocks. The
 * transfers are from pageable memory; the driver pins them as it needs.
 *
 * <p>{@link #run} only enqueues: {@link #read} waits for everything before it (in-order queue), so a block
 * of ops runs back to back on the device. Errors a kernel meets surface at the next blocking call.
 *
 * <p>Ownership and threads: one caller thread at a time, as {@link ComputeBackend} says; no threads of its
 * own (the OpenCL runtime's are the driver's). {@link #close()} waits for the queue, frees every buffer this
 * backend made, the kernels, the queue and the context; closing twice is harmless; any use afterwards throws
 * {@link IllegalStateException}.
 */
public final class OpenClBackend implements ComputeBackend {
    private static final long CHUNK = 1L << 30; // one transfer moves at most this (ByteBuffer limit is 2 GiB)
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final ClDevice device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ClProgram program;
    private final Launcher launch;
    private final Capabilities capabilities;
    private final Set<ClBuffer> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong deviceBytes = new AtomicLong();
    private final Thread sharedProbe = Thread.ofPlatform().unstarted(() -> { });
    private final KernelOps ops;
    private Arena stagingArena = Arena.ofShared();
    private MemorySegment staging = MemorySegment.NULL;
    private volatile long memoryLimit;
    private volatile boolean closed;

    /** Opens {@code device}. Prefer {@link OpenClBackendProvider#create}. */
    OpenClBackend(ClDevice device, int workGroup) {
        this.device = device;
        this.memoryLimit = device.globalMemory();
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, device.platform());
        cl_device_id[] ids = {device.device()};
        this.context = CL.clCreateContext(props, 1, ids, null, null, null);
        cl_command_queue q = null;
        ClProgram p = null;
        try {
            q = createQueue(context, device.device());
            p = ClProgram.build(context, device.device(), workGroup);
        } catch (RuntimeException e) {
            if (q != null) CL.clReleaseCommandQueue(q);
            CL.clReleaseContext(context);
            throw e;
        }
        this.queue = q;
        this.program = p;
        this.launch = new Launcher(queue);
        this.ops = new KernelOps(this, program, launch, queue);
        this.capabilities = new Capabilities(EnumSet.allOf(OpKind.class), WeightFormats.NATIVE,
                EnumSet.of(QuantType.F32, QuantType.F16));
    }

    @SuppressWarnings("deprecation") // clCreateCommandQueueWithProperties needs OpenCL 2.0; this works on 1.2 devices too
    private static cl_command_queue createQueue(cl_context context, cl_device_id device) {
        return CL.clCreateCommandQueue(context, device, 0, null);
    }

    @Override
    public String name() {
        return "opencl";
    }

    /** The device's name, kind and memory, e.g. for {@code aircela backends}. */
    public String deviceDescription() {
        return device.describe();
    }

    /** Work-items per work-group of the reduction kernels (matmul, norms, attention). */
    public int workGroupSize() {
        return program.workGroup();
    }

    /**
     * All ops. MatMul and GetRows run F32, F16, Q8_0, Q4_0, Q4_K and Q6_K on the stored bytes; other types are
     * decoded on the host at upload (see {@link #upload}). KV cache: F32 or F16 (fp16 support not needed).
     */
    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    /** Bytes of device memory this backend may still allocate (its limit minus what its buffers hold). */
    public long deviceMemoryAvailable() {
        return Math.max(0, memoryLimit - deviceBytes.get());
    }

    /** Bytes of device memory this backend's buffers (weights, activations, KV, scratch) hold now. */
    public long deviceMemoryInUse() {
        return deviceBytes.get();
    }

    /** Largest single buffer the device allows. */
    public long maxBufferBytes() {
        return device.maxAllocation();
    }

    /**
     * Caps the device memory this backend allocates (a memory budget; default: the device's global memory).
     * Allocations past it fail with {@link BackendException}; the OpenCL KV store then falls back to host memory.
     */
    public void limitDeviceMemory(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("a memory limit is 0 or more bytes, was " + bytes);
        memoryLimit = Math.min(bytes, device.globalMemory());
    }

    @Override
    public DeviceBuffer allocate(QuantType type, long elements) {
        return allocate(type, elements, true);
    }

    /**
     * A zero-filled buffer in host memory that the device reads over the bus ({@code CL_MEM_ALLOC_HOST_PTR}):
     * the fallback when device memory is short. Slower for the kernels, but it does not count against
     * {@link #deviceMemoryAvailable()}.
     */
    public DeviceBuffer allocateInHostMemory(QuantType type, long elements) {
        return allocate(type, elements, false);
    }

    private ClBuffer allocate(QuantType type, long elements, boolean onDevice) {
        checkOpen();
        ClBuffer b = create(type, elements, onDevice);
        long size = b.byteSize();
        try {
            if (size > 0) CL.clEnqueueFillBuffer(queue, b.mem(), Pointer.to(new byte[1]), 1, 0, size, 0, null, null);
        } catch (CLException e) {
            b.close();
            throw failure("zero-filling " + size + " bytes", e);
        }
        return b;
    }

    private ClBuffer create(QuantType type, long elements, boolean onDevice) {
        if (elements < 0) throw new IllegalArgumentException("elements must be 0 or more, was " + elements);
        long size = type.byteSize(elements);
        if (size > device.maxAllocation())
            throw new BackendException(size + " bytes is more than the largest buffer the OpenCL device "
                    + device.name() + " allows (" + device.maxAllocation() + "); split the tensor or use another backend");
        if (onDevice && deviceBytes.addAndGet(size) > memoryLimit) {
            deviceBytes.addAndGet(-size);
            throw new BackendException("out of device memory: " + size + " more bytes would exceed the limit of "
                    + memoryLimit + " (in use: " + deviceBytes.get() + ") on " + device.name());
        }
        try {
            cl_mem mem = CL.clCreateBuffer(context, CL_MEM_READ_WRITE | (onDevice ? 0 : CL_MEM_ALLOC_HOST_PTR),
                    Math.max(1, size), null, null);
            ClBuffer b = new ClBuffer(this, type, elements, mem, onDevice, this::released);
            live.add(b);
            return b;
        } catch (CLException e) {
            if (onDevice) deviceBytes.addAndGet(-size);
            throw failure("allocating " + size + " bytes", e);
        }
    }

    private void released(ClBuffer b) {
        live.remove(b);
        if (b.onDevice()) deviceBytes.addAndGet(-b.byteSize());
    }

    @Override
    public DeviceBuffer upload(MemorySegment bytes, QuantType type, long elements) {
        checkOpen();
        if (!WeightFormats.NATIVE.contains(type)) return uploadDecoded(bytes, type, elements);
        long size = type.byteSize(elements);
        if (bytes.byteSize() < size)
            throw new IllegalArgumentException(elements + " " + type + " weights need " + size + " bytes, the segment has "
                    + bytes.byteSize());
        ClBuffer b = create(type, elements, true);
        try {
            boolean async = bytes.isNative() && bytes.isAccessibleBy(sharedProbe);
            transfer(b, 0, bytes.asSlice(0, size), true, !async);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** The host fallback: decode through the installed dequantizer, then upload F32 (blocking: the floats are ours). */
    private DeviceBuffer uploadDecoded(MemorySegment bytes, QuantType type, long elements) {
        Dequantizer dq = Providers.findDequantizer(type.name()).orElseThrow(() -> new BackendException("the OpenCL "
                + "backend has no kernel for " + type + " and no dequantizer for it is installed; it runs "
                + WeightFormats.NATIVE + " natively. Add a DequantizerProvider for " + type + " to the class path"));
        long size = type.byteSize(elements);
        if (bytes.byteSize() < size)
            throw new IllegalArgumentException(elements + " " + type + " weights need " + size + " bytes, the segment has "
                    + bytes.byteSize());
        ClBuffer b = create(QuantType.F32, elements, true);
        int block = type.blockSize();
        int chunk = Math.max(block, (1 << 16) / block * block);
        float[] floats = new float[chunk];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate((long) chunk * Float.BYTES, 64);
            for (long done = 0; done < elements; done += chunk) {
                int n = (int) Math.min(chunk, elements - done);
                dq.dequantize(bytes, type.byteSize(done), floats, 0, n);
                MemorySegment.copy(floats, 0, host, F32, 0, n);
                transfer(b, done * Float.BYTES, host.asSlice(0, (long) n * Float.BYTES), true, true);
            }
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    @Override
    public void write(DeviceBuffer dst, long dstByteOffset, MemorySegment src) {
        checkOpen();
        ClBuffer b = buffer(dst);
        checkRange(b, dstByteOffset, src.byteSize());
        transfer(b, dstByteOffset, src, true, true);
    }

    @Override
    public void read(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        checkOpen();
        ClBuffer b = buffer(src);
        checkRange(b, srcByteOffset, dst.byteSize());
        transfer(b, srcByteOffset, dst, false, true);
    }

    private static void checkRange(ClBuffer b, long offset, long length) {
        if (offset < 0 || length < 0 || offset > b.byteSize() - length)
            throw new IndexOutOfBoundsException("bytes " + offset + ".." + (offset + length) + " are outside " + b + " ("
                    + b.byteSize() + " bytes)");
    }

    /** Moves {@code host}'s bytes to ({@code toDevice}) or from the buffer at {@code offset}, in chunks. */
    private void transfer(ClBuffer b, long offset, MemorySegment host, boolean toDevice, boolean blocking) {
        if (host.byteSize() == 0) return;
        boolean direct = host.isNative(); // heap memory has no stable address: stage it
        try {
            for (long done = 0; done < host.byteSize(); done += CHUNK) {
                long len = Math.min(CHUNK, host.byteSize() - done);
                MemorySegment part = host.asSlice(done, len);
                if (direct) {
                    enqueue(b, offset + done, part, toDevice, blocking);
                } else {
                    MemorySegment stage = staging(len);
                    if (toDevice) MemorySegment.copy(part, 0, stage, 0, len);
                    enqueue(b, offset + done, stage, toDevice, true);
                    if (!toDevice) MemorySegment.copy(stage, 0, part, 0, len);
                }
            }
        } catch (CLException e) {
            throw failure((toDevice ? "writing " : "reading ") + host.byteSize() + " bytes", e);
        }
    }

    private void enqueue(ClBuffer b, long offset, MemorySegment native_, boolean toDevice, boolean blocking) {
        Pointer p = Pointer.to(native_.asByteBuffer());
        if (toDevice && !blocking) {
            // the device reads the caller's memory later: the buffer waits for this before it is closed
            cl_event done = new cl_event();
            CL.clEnqueueWriteBuffer(queue, b.mem(), false, offset, native_.byteSize(), p, 0, null, done);
            b.addPendingWrite(done);
        } else if (toDevice) {
            CL.clEnqueueWriteBuffer(queue, b.mem(), true, offset, native_.byteSize(), p, 0, null, null);
        } else {
            CL.clEnqueueReadBuffer(queue, b.mem(), true, offset, native_.byteSize(), p, 0, null, null);
        }
    }

    private MemorySegment staging(long bytes) {
        if (staging.byteSize() < bytes) {
            stagingArena.close();
            stagingArena = Arena.ofShared();
            staging = stagingArena.allocate(Math.max(bytes, 1 << 16), 64);
        }
        return staging.asSlice(0, bytes);
    }

    @Override
    public void run(Op op) {
        checkOpen();
        try {
            switch (op) {
                case Op.MatMul m -> ops.matMul(m);
                case Op.GetRows g -> ops.getRows(g);
                case Op.RmsNorm r -> ops.rmsNorm(r);
                case Op.Rope r -> ops.rope(r);
                case Op.Attention a -> ops.attention(a);
                case Op.SwiGlu s -> ops.swiGlu(s);
                case Op.Add a -> ops.add(a);
                case Op.Softmax s -> ops.softmax(s);
                case Op.Copy c -> ops.copy(c);
            }
        } catch (CLException e) {
            throw failure(op.kind().toString(), e);
        }
    }

    /** This backend's buffer behind {@code b}; throws if another backend made it or it is closed. */
    ClBuffer buffer(DeviceBuffer b) {
        if (!(b instanceof ClBuffer c) || c.owner() != this)
            throw new IllegalArgumentException(b + " was not made by this OpenCL backend");
        c.mem(); // throws IllegalStateException when closed
        return c;
    }

    /** A scratch buffer of at least {@code elements} floats, replacing {@code old} when it is too small. */
    ClBuffer scratch(ClBuffer old, long elements) {
        if (old != null && old.elements() >= elements) return old;
        if (old != null) old.close();
        return create(QuantType.F32, Math.max(elements, 1024), true);
    }

    private BackendException failure(String what, CLException e) {
        return new BackendException("OpenCL failed " + what + " on " + device.name() + ": " + e.getMessage(), e);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("this OpenCL backend is closed");
    }

    /** Waits for the queue, then frees every buffer, the kernels, the queue and the context. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            CL.clFinish(queue);
        } catch (CLException e) {
            // an earlier kernel failed; its error was (or will never be) reported by a blocking call: free anyway
        }
        for (ClBuffer b : new ArrayList<>(live)) b.close();
        live.clear();
        program.close();
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
        stagingArena.close();
    }

    @Override
    public String toString() {
        return "OpenClBackend[" + device.name() + (closed ? ", closed]" : "]");
    }
}
