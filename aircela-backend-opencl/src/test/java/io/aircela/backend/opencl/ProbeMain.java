package io.aircela.backend.opencl;

import io.aircela.compute.Probe;

/** Prints the provider's probe as "score|reason"; run in a child JVM by {@link OpenClBackendTest} with no platform. */
public final class ProbeMain {
    private ProbeMain() {
    }

    public static void main(String[] args) {
        Probe p = new OpenClBackendProvider().probe();
        System.out.println("PROBE " + p.score() + "|" + p.reason());
    }
}
