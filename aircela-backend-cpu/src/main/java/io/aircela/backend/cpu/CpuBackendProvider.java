package io.aircela.backend.cpu;

import io.aircela.ConfigurationException;
import io.aircela.backend.cpu.internal.Kernels;
import io.aircela.backend.cpu.internal.VectorWidth;
import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.ComputeBackendProvider;
import io.aircela.compute.Probe;
import jdk.incubator.vector.FloatVector;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CPU backend's provider ({@code "cpu"}): always available, scoring 10 so that any working
 * accelerator is preferred. Construction does nothing; {@link #probe()} only reads the vector
 * species and the core count.
 */
public final class CpuBackendProvider implements ComputeBackendProvider {
    /** The score every machine gets: the fallback. */
    public static final int SCORE = 10;

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Probe probe() {
        try {
            if (VectorWidth.PROBLEM != null) return Probe.unavailable(VectorWidth.PROBLEM);
            Map<String, String> details = new LinkedHashMap<>();
            details.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
            details.put("vector.preferred", FloatVector.SPECIES_PREFERRED.toString());
            details.put("vector.bits", Integer.toString(VectorWidth.bits()));
            details.put("vector.species", VectorWidth.ENABLED ? VectorWidth.FLOATS.toString() : "scalar");
            details.put("fused.matmul", Kernels.FUSED.toString());
            return Probe.available(SCORE, "Vector API " + (VectorWidth.ENABLED ? VectorWidth.bits() + "-bit" : "off (scalar)")
                    + ", " + details.get("cores") + " cores", details);
        } catch (LinkageError e) {
            return Probe.unavailable("the Vector API is missing: run with --add-modules jdk.incubator.vector (" + e + ")");
        }
    }

    @Override
    public ComputeBackend create(BackendOptions options) {
        if (VectorWidth.PROBLEM != null) throw new ConfigurationException(VectorWidth.PROBLEM);
        return new CpuBackend(options.threads());
    }
}
