package io.aircela.backend.cpu;

import io.aircela.backend.cpu.internal.VectorWidth;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The TCK again with the scalar twins ({@code -Daircela.vector.bits=0}); run by the pom's "scalar"
 * surefire execution only, in a JVM of its own, since the width is fixed per JVM.
 */
class CpuBackendScalarContractTest extends CpuBackendContractTest {
    @Test
    void runsTheScalarTwins() {
        assertFalse(VectorWidth.ENABLED, "this class must run with -D" + VectorWidth.PROPERTY + "=0");
    }
}
