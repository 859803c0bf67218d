package io.aircela.compute;

import java.util.Map;

/**
 * What a backend provider found on this machine.
 *
 * @param score   0 = cannot run here; higher = preferred (the CPU backend scores 10)
 * @param reason  one line: why not, or what was found
 * @param details facts for {@code aircela backends} (device name, vector width, cores ...), in the provider's order
 */
public record Probe(int score, String reason, Map<String, String> details) {
    public Probe {
        details = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details)); // keeps the provider's order
    }

    public static Probe unavailable(String reason) {
        return new Probe(0, reason, Map.of());
    }

    public static Probe available(int score, String reason, Map<String, String> details) {
        if (score <= 0) throw new IllegalArgumentException("an available backend scores above 0");
        return new Probe(score, reason, details);
    }

    public boolean isAvailable() {
        return score > 0;
    }
}
