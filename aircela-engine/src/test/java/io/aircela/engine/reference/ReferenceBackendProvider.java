package io.aircela.engine.reference;

import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.ComputeBackendProvider;
import io.aircela.compute.Probe;

import java.util.Map;

/** Test-only provider of {@link ReferenceBackend}; scores 1 so a real backend wins unless "reference" is named. */
public final class ReferenceBackendProvider implements ComputeBackendProvider {
    public String name() {
        return "reference";
    }

    public Probe probe() {
        return Probe.available(1, "test reference backend", Map.of());
    }

    public ComputeBackend create(BackendOptions options) {
        return new ReferenceBackend();
    }
}
