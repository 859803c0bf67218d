package io.aircela.provider;

import io.aircela.ModelFormatException;
import io.aircela.ProviderNotFoundException;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.ComputeBackendProvider;
import io.aircela.kv.KvStoreProvider;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;
import io.aircela.weights.WeightSource;
import io.aircela.weights.WeightSourceProvider;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The one registry: discovers providers with {@link ServiceLoader} and applies the one selection
 * rule — an explicit name first, then the highest probe score, then the CPU (the fallback name).
 * An unknown explicit name fails listing what exists. Thread-safe.
 */
public final class Providers {
    /** The provider every machine has; chosen when nothing scores. */
    public static final String FALLBACK_BACKEND = "cpu";

    private static volatile Map<String, Dequantizer> dequantizers;

    private Providers() {
    }

    /**
     * The selection rule, for any kind of provider.
     *
     * @param kind     what is selected, for messages (e.g. "backend")
     * @param all      the candidates
     * @param name     a candidate's name
     * @param score    a candidate's probe score (0 = unusable here)
     * @param explicit the name the user asked for, or null/blank
     * @param fallback the name to take when nothing scores above 0, or null
     */
    public static <T> T select(String kind, List<T> all, Function<T, String> name, ToIntFunction<T> score,
                               String explicit, String fallback) {
        if (explicit != null && !explicit.isBlank()) {
            for (T t : all) if (name.apply(t).equalsIgnoreCase(explicit.strip())) return t;
            throw new ProviderNotFoundException(kind, explicit, all.stream().map(name).sorted().toList());
        }
        T best = null;
        int bestScore = 0;
        for (T t : all) {
            int s = score.applyAsInt(t);
            if (s > bestScore) {
                best = t;
                bestScore = s;
            }
        }
        if (best != null) return best;
        if (fallback != null) for (T t : all) if (name.apply(t).equalsIgnoreCase(fallback)) return t;
        throw new ProviderNotFoundException(kind, fallback == null ? "(any)" : fallback,
                all.stream().map(name).sorted().toList());
    }

    /** Every compute backend provider on the class/module path. */
    public static List<ComputeBackendProvider> backends() {
        return load(ComputeBackendProvider.class);
    }

    /** The backend to use: {@code explicit} if given, else the best probe, else the CPU. */
    public static ComputeBackendProvider selectBackend(String explicit) {
        return select("backend", backends(), ComputeBackendProvider::name, p -> p.probe().score(), explicit,
                FALLBACK_BACKEND);
    }

    /** Every weight source provider. */
    public static List<WeightSourceProvider> weightSources() {
        return load(WeightSourceProvider.class);
    }

    /** Opens a model with the provider that recognizes it best. */
    public static WeightSource open(Path path) {
        if (!java.nio.file.Files.exists(path))
            throw new io.aircela.AirCelaException("model not found: " + path + " (no such file or folder)");
        List<WeightSourceProvider> all = weightSources();
        WeightSourceProvider best = null;
        int bestScore = 0;
        for (WeightSourceProvider p : all) {
            int s = p.probe(path);
            if (s > bestScore) {
                best = p;
                bestScore = s;
            }
        }
        if (best == null)
            throw new ModelFormatException(path, null, -1, "not a model this build can read (formats: "
                    + String.join(", ", all.stream().map(WeightSourceProvider::name).toList())
                    + "); check the path and that the file is complete");
        return best.open(path);
    }

    /** Every KV store provider. */
    public static List<KvStoreProvider> kvStores() {
        return load(KvStoreProvider.class);
    }

    /** The KV store for {@code backend}: {@code explicit} if given, else the best fit. */
    public static KvStoreProvider selectKvStore(String explicit, ComputeBackend backend) {
        return select("KV store", kvStores(), KvStoreProvider::name, p -> p.probe(backend), explicit, "host");
    }

    /** Every dequantizer, keyed by upper-case on-disk type name (sorted). */
    public static Map<String, Dequantizer> dequantizers() {
        Map<String, Dequantizer> m = dequantizers;
        if (m == null) {
            Map<String, Dequantizer> built = new TreeMap<>();
            for (DequantizerProvider p : load(DequantizerProvider.class))
                built.putIfAbsent(p.typeName().toUpperCase(java.util.Locale.ROOT), p.create());
            dequantizers = m = java.util.Collections.unmodifiableMap(built);
        }
        return m;
    }

    /** The dequantizer for an on-disk type name, if one is installed. */
    public static Optional<Dequantizer> findDequantizer(String typeName) {
        return Optional.ofNullable(dequantizers().get(typeName.toUpperCase(java.util.Locale.ROOT)));
    }

    /** The dequantizer for an on-disk type name; fails listing the installed ones. */
    public static Dequantizer dequantizer(String typeName) {
        return findDequantizer(typeName).orElseThrow(() -> new ProviderNotFoundException("quant format",
                typeName, new ArrayList<>(dequantizers().keySet())));
    }

    private static <S> List<S> load(Class<S> service) {
        List<S> out = new ArrayList<>();
        ServiceLoader<S> loader = ServiceLoader.load(service);
        for (ServiceLoader.Provider<S> p : loader.stream().toList()) out.add(p.get());
        return out;
    }
}
