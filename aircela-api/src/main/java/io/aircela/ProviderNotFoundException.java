package io.aircela;

import java.util.List;

/** An explicitly named provider (backend, quant format, ...) does not exist; lists those that do. */
public class ProviderNotFoundException extends AirCelaException {
    private final List<String> available;

    public ProviderNotFoundException(String kind, String requested, List<String> available) {
        super("unknown " + kind + " '" + requested + "'; available: "
                + (available.isEmpty() ? "(none)" : String.join(", ", available)));
        this.available = List.copyOf(available);
    }

    public List<String> available() {
        return available;
    }
}
