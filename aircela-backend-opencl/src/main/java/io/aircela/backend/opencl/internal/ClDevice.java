package io.aircela.backend.opencl.internal;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device as the probe found it.
 *
 * @param platform      the platform's handle
 * @param device        the device's handle
 * @param platformName  platform name and version, e.g. "Portable Computing Language (OpenCL 3.0 PoCL ...)"
 * @param name          device name
 * @param kind          "GPU", "CPU", "ACCELERATOR" or "OTHER"
 * @param globalMemory  bytes of global memory
 * @param maxAllocation bytes of the largest single buffer
 * @param computeUnits  parallel compute units
 * @param maxWorkGroup  largest work-group size
 * @param fp16          whether the device has cl_khr_fp16 (informational: the kernels never need it)
 */
public record ClDevice(cl_platform_id platform, cl_device_id device, String platformName, String name, String kind,
                       long globalMemory, long maxAllocation, int computeUnits, long maxWorkGroup, boolean fp16) {

    /** Whether this is a GPU (preferred over everything else). */
    public boolean isGpu() {
        return kind.equals("GPU");
    }

    /** One line for {@code aircela backends}. */
    public String describe() {
        return name + " (" + kind + ", " + (globalMemory >> 20) + " MiB, " + computeUnits + " compute units, fp16 "
                + (fp16 ? "yes" : "no") + "; " + platformName + ")";
    }
}
