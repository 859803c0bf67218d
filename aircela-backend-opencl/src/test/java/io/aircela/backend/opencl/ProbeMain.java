package io.aircela.backend.opencl;

import io.aircela.compute.Probe;

/**
 * Prints the provider's probe as "PROBE score|reason", then what {@code create} throws as "CREATE class: message";
 * run in a child JVM by {@link OpenClBackendTest} with no platform.
 */
public final class ProbeMain {
    private ProbeMain() {
    }

    public static void main(String[] args) {
        Probe p = new OpenClBackendProvider().probe();
        System.out.println("PROBE " + p.score() + "|" + p.reason());
        try (var backend = new OpenClBackendProvider().create(io.aircela.compute.BackendOptions.defaults())) {
            System.out.println("CREATE succeeded: " + backend);
        } catch (RuntimeException e) {
            System.out.println("CREATE " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
