package io.aircela.backend.opencl.internal;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.jocl.CL.CL_DEVICE_EXTENSIONS;
import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_NOT_FOUND;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ACCELERATOR;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_CPU;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.CL_PLATFORM_VERSION;

/**
 * Lists the OpenCL platforms and devices. The first call loads JOCL's native bridge and, through it, the
 * OpenCL ICD loader: callers (the provider's probe) turn a {@link LinkageError} or {@link CLException}
 * into a score-0 probe. Nothing here runs in a static initializer. Drivers may replace the JVM's signal handlers
 * when they initialize (PoCL's LLVM does): both entry points run under {@link JvmSignals#guard}.
 */
public final class ClDevices {
    /** ocl-icd and the Khronos loader return this when no platform is installed. */
    public static final int CL_PLATFORM_NOT_FOUND_KHR = -1001;

    private ClDevices() {
    }

    /** The platforms' names (for messages when they have no device). */
    public static List<String> platformNames() {
        return JvmSignals.guard(ClDevices::namesUnguarded);
    }

    private static List<String> namesUnguarded() {
        List<String> names = new ArrayList<>();
        for (cl_platform_id p : platforms()) names.add(platformName(p));
        return names;
    }

    /** Every device of every platform, GPUs first, then accelerators, then CPUs (stable within a kind). */
    public static List<ClDevice> list() {
        return JvmSignals.guard(ClDevices::listUnguarded);
    }

    private static List<ClDevice> listUnguarded() {
        List<ClDevice> all = new ArrayList<>();
        for (cl_platform_id p : platforms()) {
            String platformName = platformName(p);
            for (cl_device_id d : devices(p)) all.add(describe(p, platformName, d));
        }
        all.sort(Comparator.comparingInt(ClDevices::rank));
        return all;
    }

    private static int rank(ClDevice d) {
        return switch (d.kind()) {
            case "GPU" -> 0;
            case "ACCELERATOR" -> 1;
            case "CPU" -> 2;
            default -> 3;
        };
    }

    private static cl_platform_id[] platforms() {
        CL.setExceptionsEnabled(true);
        int[] count = new int[1];
        try {
            CL.clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            if (e.getStatus() == CL_PLATFORM_NOT_FOUND_KHR) return new cl_platform_id[0];
            throw e;
        }
        cl_platform_id[] ids = new cl_platform_id[count[0]];
        if (ids.length > 0) CL.clGetPlatformIDs(ids.length, ids, null);
        return ids;
    }

    private static cl_device_id[] devices(cl_platform_id p) {
        int[] count = new int[1];
        try {
            CL.clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, count);
        } catch (CLException e) {
            if (e.getStatus() == CL_DEVICE_NOT_FOUND) return new cl_device_id[0];
            throw e;
        }
        cl_device_id[] ids = new cl_device_id[count[0]];
        if (ids.length > 0) CL.clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
        return ids;
    }

    private static String platformName(cl_platform_id p) {
        long[] size = new long[1];
        CL.clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, null, size);
        byte[] name = new byte[(int) size[0]];
        CL.clGetPlatformInfo(p, CL_PLATFORM_NAME, name.length, Pointer.to(name), null);
        CL.clGetPlatformInfo(p, CL_PLATFORM_VERSION, 0, null, size);
        byte[] version = new byte[(int) size[0]];
        CL.clGetPlatformInfo(p, CL_PLATFORM_VERSION, version.length, Pointer.to(version), null);
        return text(name) + " (" + text(version) + ")";
    }

    private static ClDevice describe(cl_platform_id p, String platformName, cl_device_id d) {
        long type = ulong(d, CL_DEVICE_TYPE);
        String kind = (type & CL_DEVICE_TYPE_GPU) != 0 ? "GPU" : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "ACCELERATOR"
                : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU" : "OTHER";
        int[] units = new int[1];
        CL.clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint, Pointer.to(units), null);
        long[] workGroup = new long[1];
        CL.clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(workGroup), null);
        boolean fp16 = string(d, CL_DEVICE_EXTENSIONS).contains("cl_khr_fp16");
        return new ClDevice(p, d, platformName, string(d, CL_DEVICE_NAME), kind, ulong(d, CL_DEVICE_GLOBAL_MEM_SIZE),
                ulong(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE), units[0], workGroup[0], fp16);
    }

    private static long ulong(cl_device_id d, int param) {
        long[] v = new long[1];
        CL.clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    private static String string(cl_device_id d, int param) {
        long[] size = new long[1];
        CL.clGetDeviceInfo(d, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        CL.clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null);
        return text(buf);
    }

    private static String text(byte[] zeroTerminated) {
        int n = 0;
        while (n < zeroTerminated.length && zeroTerminated[n] != 0) n++;
        return new String(zeroTerminated, 0, n, StandardCharsets.UTF_8).strip();
    }
}
