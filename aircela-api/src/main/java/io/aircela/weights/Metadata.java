package io.aircela.weights;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A model file's key/value metadata, with typed access. Immutable and thread-safe.
 *
 * <p>Value representation: every integer type is a {@link Long}; float32 a {@link Float}; float64 a
 * {@link Double}; bool a {@link Boolean}; string a {@link String}. Arrays are {@code long[]} (integers),
 * {@code float[]}, {@code double[]}, {@code boolean[]} or {@code String[]} (the GGUF reader refuses
 * arrays of arrays). Array values are shared, not copied: callers must not modify them.
 */
public final class Metadata {
    private final Map<String, Object> values;

    public Metadata(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Keys in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    /** The raw value (see the class comment for types), or empty. */
    public Optional<Object> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public Optional<String> string(String key) {
        return values.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    public OptionalLong integer(String key) {
        return values.get(key) instanceof Long l ? OptionalLong.of(l) : OptionalLong.empty();
    }

    /** A float32 or float64 value, or an integer one widened. */
    public OptionalDouble number(String key) {
        Object v = values.get(key);
        if (v instanceof Number n) return OptionalDouble.of(n.doubleValue());
        return OptionalDouble.empty();
    }

    public Optional<Boolean> bool(String key) {
        return values.get(key) instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    public Optional<String[]> strings(String key) {
        return values.get(key) instanceof String[] a ? Optional.of(a) : Optional.empty();
    }

    public Optional<long[]> integers(String key) {
        return values.get(key) instanceof long[] a ? Optional.of(a) : Optional.empty();
    }

    public Optional<float[]> floats(String key) {
        return values.get(key) instanceof float[] a ? Optional.of(a) : Optional.empty();
    }

    /** Number of elements of an array value, or -1 when the key holds no array. */
    public int arrayLength(String key) {
        return switch (values.get(key)) {
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case Object[] a -> a.length;
            case null, default -> -1;
        };
    }

    @Override
    public String toString() {
        return "Metadata" + List.copyOf(values.keySet());
    }
}
