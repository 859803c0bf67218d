package io.aircela.backend.cpu;

import io.aircela.backend.cpu.internal.VectorWidth;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The TCK again with the scalar twins ({@code -Daircela.vector.bits=0}); run by the pom's "scalar"
 * surefire execution only, in a JVM of its own, since the width is fixed per JVM.
 */
class CpuBackendScalarContractTest extends CpuBackendContractTest {
    @Test
    void runsTheScalarTwins() {
        // Under a -Dtest filter the default fork picks this class up too: then it is just the vector TCK again.
        Assumptions.assumeTrue("0".equals(System.getProperty(VectorWidth.PROPERTY)), "not the scalar fork");
        assertFalse(VectorWidth.ENABLED, "this class must run with -D" + VectorWidth.PROPERTY + "=0");
    }
}
