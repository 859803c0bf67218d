package io.aircela.cli;

import io.aircela.compute.ComputeBackendProvider;
import io.aircela.compute.Probe;
import io.aircela.provider.Providers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code aircela backends}: every discovered compute backend, its probe score and reason. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the compute backends found on this machine, with their probe score and reason.")
final class BackendsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<ComputeBackendProvider> all = Providers.backends();
        String chosen = all.isEmpty() ? null : Providers.selectBackend(null).name();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ComputeBackendProvider p : all) {
            Probe probe = p.probe();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", p.name());
            row.put("score", probe.score());
            row.put("available", probe.isAvailable());
            row.put("default", p.name().equals(chosen));
            row.put("reason", probe.reason());
            row.put("details", probe.details());
            rows.add(row);
        }
        if (json) {
            out.println(Json.write(rows));
        } else {
            out.printf("%-8s %5s  %-9s %s%n", "backend", "score", "default", "reason");
            for (Map<String, Object> r : rows) {
                out.printf("%-8s %5s  %-9s %s%n", r.get("name"), r.get("score"),
                        Boolean.TRUE.equals(r.get("default")) ? "*" : "", r.get("reason"));
                ((Map<?, ?>) r.get("details")).forEach((k, v) -> out.printf("%-26s %s: %s%n", "", k, v));
            }
            if (rows.isEmpty()) out.println("(no backend found on the class path)");
        }
        out.flush();
        return 0;
    }
}
