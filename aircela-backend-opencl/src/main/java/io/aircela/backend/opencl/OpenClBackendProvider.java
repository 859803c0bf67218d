package io.aircela.backend.opencl;

import io.aircela.BackendException;
import io.aircela.ConfigurationException;
import io.aircela.backend.opencl.internal.ClDevice;
import io.aircela.backend.opencl.internal.ClDevices;
import io.aircela.backend.opencl.internal.JvmSignals;
import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.ComputeBackendProvider;
import io.aircela.compute.Probe;
import org.jocl.CLException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenCL backend's provider ({@code "opencl"}). Construction does nothing; {@link #probe()} loads JOCL
 * (its native bridge, and through it the OS's OpenCL ICD loader), lists the platforms and devices, and
 * scores the best device: a GPU {@value #GPU_SCORE}, another accelerator {@value #ACCELERATOR_SCORE}, a CPU
 * device {@value #CPU_SCORE} (below the native CPU backend's 10, so an OpenCL CPU driver such as PoCL is used
 * only when asked for with {@code --backend opencl}). Device 0 of {@link BackendOptions#device()} is the best
 * device (GPUs first). The work-group size of the reduction kernels is 64 on GPUs and 16 on CPU devices;
 * {@code -Daircela.opencl.workgroup=N} overrides it.
 */
public final class OpenClBackendProvider implements ComputeBackendProvider {
    public static final int GPU_SCORE = 50;
    public static final int ACCELERATOR_SCORE = 30;
    public static final int CPU_SCORE = 5;

    @Override
    public String name() {
        return "opencl";
    }

    /**
     * Never throws. A missing ICD loader or a broken JOCL ({@link LinkageError}) and OpenCL errors become a
     * score-0 probe whose reason says what to install; other {@link Error}s (out of memory ...) propagate.
     */
    @Override
    public Probe probe() {
        try {
            List<ClDevice> devices = ClDevices.list();
            if (devices.isEmpty()) return Probe.unavailable(noDevice());
            Map<String, String> details = new LinkedHashMap<>();
            for (int i = 0; i < devices.size(); i++) details.put("device." + i, devices.get(i).describe());
            ClDevice best = devices.getFirst();
            return Probe.available(score(best), best.name() + " (" + best.kind() + ", " + (best.globalMemory() >> 20)
                    + " MiB)" + (best.isGpu() ? "" : "; a CPU OpenCL device: the cpu backend is preferred unless "
                    + "--backend opencl"), details);
        } catch (LinkageError e) {
            return Probe.unavailable("OpenCL is not usable: JOCL's native library or the OpenCL ICD loader "
                    + "failed to load (" + e + "); JOCL opens libOpenCL.so: install an ICD loader (Debian: ocl-icd-libopencl1 "
                    + "and ocl-icd-opencl-dev, whose libOpenCL.so link JOCL needs) and a driver (the GPU vendor's, or "
                    + "pocl-opencl-icd for the CPU)");
        } catch (CLException e) {
            return Probe.unavailable("OpenCL is not usable: listing the platforms failed with " + e.getMessage());
        } catch (RuntimeException e) {
            return Probe.unavailable("OpenCL is not usable: " + e);
        }
    }

    private static String noDevice() {
        List<String> platforms = ClDevices.platformNames();
        return platforms.isEmpty()
                ? "no OpenCL platform is installed (the ICD loader found none): install a driver, e.g. the GPU "
                + "vendor's or pocl-opencl-icd for the CPU"
                : "the OpenCL platforms " + platforms + " have no device";
    }

    private static int score(ClDevice d) {
        return switch (d.kind()) {
            case "GPU" -> GPU_SCORE;
            case "ACCELERATOR" -> ACCELERATOR_SCORE;
            default -> CPU_SCORE;
        };
    }

    /** Opens device {@code options.device()} (0 = best). Throws {@link BackendException} when OpenCL cannot run here. */
    @Override
    public ComputeBackend create(BackendOptions options) {
        Probe probe = probe();
        if (!probe.isAvailable()) throw new BackendException("the opencl backend cannot run here: " + probe.reason());
        List<ClDevice> devices = ClDevices.list();
        if (options.device() >= devices.size())
            throw new ConfigurationException("OpenCL device " + options.device() + " does not exist; there are "
                    + devices.size() + " (0.." + (devices.size() - 1) + ")");
        ClDevice device = devices.get(options.device());
        try {
            int workGroup = workGroup(device);
            // building the program runs the driver's compiler (LLVM for PoCL), which may install signal handlers
            return JvmSignals.guard(() -> new OpenClBackend(device, workGroup));
        } catch (CLException e) {
            throw new BackendException("opening the OpenCL device " + device.name() + " failed: " + e.getMessage(), e);
        }
    }

    private static int workGroup(ClDevice device) {
        int wanted = Integer.getInteger("aircela.opencl.workgroup", device.isGpu() ? 64 : 16);
        if (wanted < 1) throw new ConfigurationException("aircela.opencl.workgroup must be 1 or more, was " + wanted);
        return (int) Math.min(wanted, device.maxWorkGroup());
    }
}
