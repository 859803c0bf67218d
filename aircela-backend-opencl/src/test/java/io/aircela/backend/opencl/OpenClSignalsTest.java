package io.aircela.backend.opencl;

import io.aircela.backend.opencl.internal.JvmSignals;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PoCL's LLVM replaces the JVM's SIGSEGV handler when OpenCL is first used; the next null dereference in
 * compiled Java code then killed the process. In a child JVM (so a regression kills the child, not the test run):
 * after probe, create and a MatMul the JVM's handler is still installed and implicit null checks still throw.
 */
class OpenClSignalsTest {
    @Test
    void openClLeavesTheJvmsSignalHandlersInPlace() throws IOException, InterruptedException {
        Assumptions.assumeTrue(JvmSignals.isActive(), "the signal guard works on Linux only");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), SignalsMain.class.getName()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child hung");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeFalse(out.contains("SKIP "), () -> "opencl cannot run here: " + out);
        assertEquals(0, p.exitValue(), "the child died (exit " + p.exitValue() + "): " + out);
        assertTrue(out.contains("MATMUL -6.0"), out);
        assertTrue(out.contains("HANDLER same"), out);
        assertTrue(out.contains("NPE 10 "), out);
    }
}
