package io.aircela.cli;

import io.aircela.engine.store.ModelLocator;
import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;
import io.aircela.weights.LayerInfo;
import io.aircela.weights.Metadata;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code aircela inspect MODEL [--json]}: what a model file holds, without loading the weights. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Summarize a model file: format, architecture, tensors, bytes per quant type and layer, tokenizer.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, HF folder, Ollama name or HF repo id")
    String model;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (WeightSource source = Providers.open(ModelLocator.fromEnvironment().resolve(model))) {
            Map<String, Object> summary = summarize(source);
            spec.commandLine().getOut().println(json ? Json.write(summary) : text(summary));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    static Map<String, Object> summarize(WeightSource source) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", source.path().toString());
        out.put("format", source.format());
        Metadata md = source.metadata();
        out.put("architecture", md.string("general.architecture").orElse(null));
        out.put("name", md.string("general.name").orElse(null));
        source.config().ifPresent(c -> out.put("config", config(c)));
        out.put("tensor_count", source.tensors().size());
        Map<QuantType, long[]> perType = new EnumMap<>(QuantType.class);
        long params = 0, bytes = 0;
        for (TensorInfo t : source.tensors()) {
            long[] acc = perType.computeIfAbsent(t.type(), k -> new long[3]);
            acc[0]++;
            acc[1] += t.elements();
            acc[2] += t.byteSize();
            params += t.elements();
            bytes += t.byteSize();
        }
        Map<String, Object> types = new LinkedHashMap<>();
        perType.forEach((k, v) -> types.put(k.name(), Map.of("tensors", v[0], "params", v[1], "bytes", v[2])));
        out.put("quant_types", types);
        out.put("total_params", params);
        out.put("total_bytes", bytes);
        List<Map<String, Object>> layers = new ArrayList<>();
        for (LayerInfo l : source.layers())
            layers.add(Map.of("layer", l.index(), "tensors", l.tensors().size(), "bytes", l.byteSize()));
        out.put("layers", layers);
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("model", md.string("tokenizer.ggml.model").orElse(null));
        tok.put("pre", md.string("tokenizer.ggml.pre").orElse(null));
        tok.put("vocab_size", Math.max(0, md.arrayLength("tokenizer.ggml.tokens")));
        tok.put("chat_template", md.contains("tokenizer.chat_template"));
        out.put("tokenizer", tok);
        return out;
    }

    private static Map<String, Object> config(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("context_length", c.contextLength());
        m.put("dim", c.dim());
        m.put("layers", c.layers());
        m.put("heads", c.heads());
        m.put("kv_heads", c.kvHeads());
        m.put("head_dim", c.headDim());
        m.put("ffn_dim", c.ffnDim());
        m.put("vocab_size", c.vocabSize());
        m.put("rope_base", c.ropeBase());
        m.put("rope_dims", c.ropeDims());
        m.put("rope_style", c.ropeStyle().name());
        m.put("norm_eps", c.normEps());
        m.put("tied_embeddings", c.tiedEmbeddings());
        m.put("bos_id", c.bosId());
        m.put("eos_id", c.eosId());
        return m;
    }

    @SuppressWarnings("unchecked")
    private static String text(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-14s %s%n", "file", s.get("file")));
        b.append(String.format("%-14s %s%n", "format", s.get("format")));
        b.append(String.format("%-14s %s%n", "architecture", s.get("architecture")));
        if (s.get("name") != null) b.append(String.format("%-14s %s%n", "name", s.get("name")));
        if (s.get("config") instanceof Map<?, ?> c) {
            b.append("config\n");
            ((Map<String, Object>) c).forEach((k, v) -> b.append(String.format("  %-16s %s%n", k, v)));
        } else {
            b.append(String.format("%-14s %s%n", "config", "(no weights: vocabulary-only file)"));
        }
        b.append(String.format("%-14s %s (%s params, %s)%n", "tensors", s.get("tensor_count"),
                human((Long) s.get("total_params"), ""), human((Long) s.get("total_bytes"), "B")));
        ((Map<String, Map<String, Long>>) s.get("quant_types")).forEach((k, v) -> b.append(String.format(
                "  %-8s %5d tensors %12d params %12s%n", k, v.get("tensors"), v.get("params"), human(v.get("bytes"), "B"))));
        List<Map<String, Object>> layers = (List<Map<String, Object>>) s.get("layers");
        if (!layers.isEmpty()) {
            b.append(String.format("%-14s %d%n", "layers", layers.size()));
            for (Map<String, Object> l : layers)
                b.append(String.format("  blk.%-4s %3s tensors %12s%n", l.get("layer"), l.get("tensors"),
                        human(((Number) l.get("bytes")).longValue(), "B")));
        }
        Map<String, Object> tok = (Map<String, Object>) s.get("tokenizer");
        b.append(String.format("%-14s %s%s, vocab %s, chat template: %s", "tokenizer", tok.get("model"),
                tok.get("pre") == null ? "" : " (pre " + tok.get("pre") + ")", tok.get("vocab_size"),
                Boolean.TRUE.equals(tok.get("chat_template")) ? "yes" : "no"));
        return b.toString();
    }

    static String human(long n, String unit) {
        if (unit.equals("B")) {
            if (n < 1024) return n + " B";
            String[] u = {"KiB", "MiB", "GiB", "TiB"};
            double v = n;
            int i = -1;
            while (v >= 1024 && i < u.length - 1) {
                v /= 1024;
                i++;
            }
            return String.format("%.2f %s", v, u[i]);
        }
        if (n < 1000) return Long.toString(n);
        String[] u = {"K", "M", "B", "T"};
        double v = n;
        int i = -1;
        while (v >= 1000 && i < u.length - 1) {
            v /= 1000;
            i++;
        }
        return String.format("%.2f%s", v, u[i]);
    }
}
