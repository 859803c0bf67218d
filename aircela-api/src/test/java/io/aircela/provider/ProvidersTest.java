package io.aircela.provider;

import io.aircela.ProviderNotFoundException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProvidersTest {
    private static final Map<String, Integer> SCORES = Map.of("cpu", 0, "opencl", 30, "cuda", 50, "slow", 0);

    private static String pick(List<String> names, String explicit) {
        return Providers.select("backend", names, n -> n, SCORES::get, explicit, "cpu");
    }

    @Test
    void explicitNameWinsOverScore() {
        assertEquals("opencl", pick(List.of("cpu", "opencl", "cuda"), "OpenCL"));
        assertEquals("cpu", pick(List.of("cpu", "opencl", "cuda"), "cpu"));
    }

    @Test
    void highestScoreWinsWithoutExplicitName() {
        assertEquals("cuda", pick(List.of("cpu", "opencl", "cuda"), null));
        assertEquals("opencl", pick(List.of("cpu", "opencl"), " "));
    }

    @Test
    void cpuIsTheFallbackWhenNothingScores() {
        assertEquals("cpu", pick(List.of("slow", "cpu"), null));
    }

    @Test
    void unknownNameListsWhatExists() {
        ProviderNotFoundException e = assertThrows(ProviderNotFoundException.class,
                () -> pick(List.of("cpu", "opencl"), "vulkan"));
        assertTrue(e.getMessage().contains("vulkan"), e.getMessage());
        assertTrue(e.getMessage().contains("cpu, opencl"), e.getMessage());
        assertEquals(List.of("cpu", "opencl"), e.available());
    }

    @Test
    void noCandidateAndNoFallbackFails() {
        assertThrows(ProviderNotFoundException.class, () -> pick(List.of("slow"), null));
    }
}
