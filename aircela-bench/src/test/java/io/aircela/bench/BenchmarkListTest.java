package io.aircela.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JMH's annotation processor ran: without it the jar builds but has no benchmark to run. */
class BenchmarkListTest {

    @Test
    void everyBenchmarkIsListed() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/BenchmarkList")) {
            assertNotNull(in, "META-INF/BenchmarkList is missing: the JMH annotation processor did not run");
            String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // one line per benchmark method, naming its generated class <Class>_<method>_jmhTest
            for (String b : new String[] {"MatMulBenchmark_run", "DequantizeBenchmark_dequantize",
                    "PrefetchPipelineBenchmark_token"})
                assertTrue(list.contains("io.aircela.bench.jmh_generated." + b + "_jmhTest"), b + " is not in the benchmark list");
        }
    }
}
