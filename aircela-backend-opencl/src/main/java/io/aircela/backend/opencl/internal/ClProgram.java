package io.aircela.backend.opencl.internal;

import io.aircela.BackendException;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;

/**
 * The kernels, built once per backend from the {@code .cl} resources next to the provider class. The
 * work-group size of the reduction kernels is a compile-time constant ({@code -D WG=...}); when a kernel
 * cannot run that many items on this device the program is rebuilt with the largest power of two it can.
 * Closing releases the kernels and the program; closing twice is harmless.
 */
public final class ClProgram implements AutoCloseable {
    private static final String[] SOURCES = {"common.cl", "quant.cl", "rowops.cl", "attention.cl"};

    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new LinkedHashMap<>();
    private final int workGroup;
    private boolean closed;

    private ClProgram(cl_program program, int workGroup) {
        this.program = program;
        this.workGroup = workGroup;
    }

    /** Builds the program for {@code device} with reduction work-groups of at most {@code wanted} items. */
    public static ClProgram build(cl_context context, cl_device_id device, int wanted) {
        String[] sources = sources();
        int wg = Integer.highestOneBit(Math.max(1, wanted));
        ClProgram p = compile(context, device, sources, wg);
        int fits = p.smallestKernelWorkGroup(device);
        if (fits >= wg) return p;
        p.close();
        return compile(context, device, sources, Integer.highestOneBit(Math.max(1, fits)));
    }

    private static ClProgram compile(cl_context context, cl_device_id device, String[] sources, int wg) {
        cl_program program = CL.clCreateProgramWithSource(context, sources.length, sources, null, null);
        try {
            CL.clBuildProgram(program, 1, new cl_device_id[]{device}, "-D WG=" + wg, null, null);
        } catch (CLException e) {
            String log = buildLog(program, device);
            CL.clReleaseProgram(program);
            throw new BackendException("the OpenCL kernels did not compile on this device (" + e.getMessage() + "):\n" + log, e);
        }
        ClProgram p = new ClProgram(program, wg);
        try {
            for (String name : kernelNames(sources)) p.kernels.put(name, CL.clCreateKernel(program, name, null));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** The reduction kernels' work-group size (a power of two). */
    public int workGroup() {
        return workGroup;
    }

    /** The kernel called {@code name}; throws {@link BackendException} for an unknown one. */
    public cl_kernel kernel(String name) {
        cl_kernel k = kernels.get(name);
        if (k == null) throw new BackendException("no OpenCL kernel " + name + "; the program has " + kernels.keySet());
        return k;
    }

    private int smallestKernelWorkGroup(cl_device_id device) {
        long min = Long.MAX_VALUE;
        long[] size = new long[1];
        for (cl_kernel k : kernels.values()) {
            CL.clGetKernelWorkGroupInfo(k, device, CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(size), null);
            min = Math.min(min, size[0]);
        }
        return (int) Math.min(min, 1 << 20);
    }

    private static String buildLog(cl_program program, cl_device_id device) {
        try {
            long[] size = new long[1];
            CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            return new String(log, StandardCharsets.UTF_8).strip();
        } catch (CLException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }

    private static String[] sources() {
        String[] out = new String[SOURCES.length];
        for (int i = 0; i < SOURCES.length; i++) {
            String path = "/io/aircela/backend/opencl/" + SOURCES[i];
            try (InputStream in = ClProgram.class.getResourceAsStream(path)) {
                if (in == null) throw new BackendException("kernel source " + path + " is missing from the jar");
                out[i] = new String(in.readAllBytes(), StandardCharsets.UTF_8) + "\n";
            } catch (IOException e) {
                throw new UncheckedIOException("reading kernel source " + path, e);
            }
        }
        return out;
    }

    /** Kernel names as declared ({@code __kernel void name(}) or generated by the sources' macros. */
    static List<String> kernelNames(String[] sources) {
        List<String> names = new ArrayList<>();
        for (String t : new String[]{"f32", "f16", "q8_0", "q4_0", "q4_k", "q6_k"}) {
            names.add("matmul_" + t);
            names.add("get_rows_" + t);
        }
        names.addAll(List.of("attention_float", "attention_half"));
        for (String s : sources) {
            for (String line : s.split("\n")) {
                line = line.strip();
                if (!line.startsWith("__kernel void ") || line.contains("##")) continue;
                names.add(line.substring("__kernel void ".length(), line.indexOf('(')).strip());
            }
        }
        return names;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (cl_kernel k : kernels.values()) CL.clReleaseKernel(k);
        kernels.clear();
        CL.clReleaseProgram(program);
    }
}
