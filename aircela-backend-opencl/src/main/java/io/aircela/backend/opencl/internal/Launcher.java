package io.aircela.backend.opencl.internal;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * Sets kernel arguments and enqueues kernels on one in-order queue, reusing its argument holders (OpenCL
 * copies argument values when they are set, so one holder serves every call). Not thread-safe: used by
 * the backend's one caller thread.
 */
public final class Launcher {
    private final cl_command_queue queue;
    private final int[] i32 = new int[1];
    private final long[] i64 = new long[1];
    private final float[] f32 = new float[1];
    private final Pointer i32p = Pointer.to(i32);
    private final Pointer i64p = Pointer.to(i64);
    private final Pointer f32p = Pointer.to(f32);
    private final long[] global = new long[3];
    private final long[] local = new long[3];

    public Launcher(cl_command_queue queue) {
        this.queue = queue;
    }

    public Launcher mem(cl_kernel k, int index, cl_mem m) {
        CL.clSetKernelArg(k, index, Sizeof.cl_mem, Pointer.to(m));
        return this;
    }

    public Launcher i32(cl_kernel k, int index, int v) {
        i32[0] = v;
        CL.clSetKernelArg(k, index, Sizeof.cl_int, i32p);
        return this;
    }

    public Launcher u64(cl_kernel k, int index, long v) {
        i64[0] = v;
        CL.clSetKernelArg(k, index, Sizeof.cl_ulong, i64p);
        return this;
    }

    public Launcher f32(cl_kernel k, int index, float v) {
        f32[0] = v;
        CL.clSetKernelArg(k, index, Sizeof.cl_float, f32p);
        return this;
    }

    /** Work-groups of {@code wg} items along dimension 0: {@code groups0 x groups1} groups. */
    public void groups(cl_kernel k, long groups0, long groups1, int wg) {
        global[0] = groups0 * wg;
        global[1] = groups1;
        local[0] = wg;
        local[1] = 1;
        CL.clEnqueueNDRangeKernel(queue, k, 2, null, global, local, 0, null, null);
    }

    /** One work-item per index of a 1-3 dimensional grid; the runtime picks the work-group size. */
    public void items(cl_kernel k, long size0, long size1, long size2) {
        global[0] = size0;
        global[1] = size1;
        global[2] = size2;
        CL.clEnqueueNDRangeKernel(queue, k, 3, null, global, null, 0, null, null);
    }
}
