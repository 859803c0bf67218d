package io.aircela.cli;

import io.aircela.engine.store.ModelLocator;
import io.aircela.engine.store.StoredModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code aircela list}: the models already on this machine, in Ollama's store and the HuggingFace hub
 * cache (roots: {@code OLLAMA_MODELS}, {@code HF_HUB_CACHE}/{@code HF_HOME}, or the defaults), each with
 * the name {@code -m} accepts. Reads manifests and configs only; no weights are opened.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the models found in the Ollama store and the HuggingFace cache (name, format, size, quant).")
final class ListCommand implements Callable<Integer> {
    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ModelLocator locator = ModelLocator.fromEnvironment();
        List<StoredModel> models = locator.list();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (StoredModel m : models) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("name", m.name());
                r.put("store", m.store());
                r.put("format", m.format());
                r.put("bytes", m.bytes());
                r.put("quant", m.quant());
                r.put("path", m.path().toString());
                rows.add(r);
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("ollama_root", locator.stores().ollamaRoot().toString());
            r.put("hf_hub_root", locator.stores().hfHubRoot().toString());
            r.put("models", rows);
            out.println(Json.write(r));
        } else {
            table(out, models);
            spec.commandLine().getErr().println(models.size() + " models (Ollama store " + locator.stores().ollamaRoot()
                    + ", HuggingFace cache " + locator.stores().hfHubRoot() + ")");
        }
        out.flush();
        return 0;
    }

    private static void table(PrintWriter out, List<StoredModel> models) {
        int w = "NAME".length();
        for (StoredModel m : models) w = Math.max(w, m.name().length());
        String row = "%-" + w + "s  %-11s  %-11s  %10s  %s%n";
        out.printf(Locale.ROOT, row, "NAME", "STORE", "FORMAT", "SIZE", "QUANT");
        for (StoredModel m : models)
            out.printf(Locale.ROOT, row, m.name(), m.store(), m.format(), size(m.bytes()), m.quant());
    }

    /** Bytes in binary units, as {@code ollama list} prints them. */
    static String size(long bytes) {
        if (bytes < 0) return "?";
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
