package io.aircela.formats.safetensors;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * Flattens JSON config values into {@link io.aircela.weights.Metadata} entries: nested objects become
 * dotted keys ({@code hf.rope_scaling.factor}); integers are {@code Long}, other numbers {@code Double},
 * then {@code String} and {@code Boolean}; homogeneous arrays become {@code long[]}, {@code double[]},
 * {@code String[]} or {@code boolean[]}. Nulls and arrays of objects or of mixed types are left out.
 * Recursion depth is bounded by the JSON nesting limit of {@link HfJson}.
 */
final class HfMetadata {
    private HfMetadata() {
    }

    static void flatten(String prefix, JsonNode node, Map<String, Object> out) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String key = prefix + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) flatten(key + ".", v, out);
            else if (v.isArray()) {
                Object array = array(v);
                if (array != null) out.put(key, array);
            } else {
                Object scalar = scalar(v);
                if (scalar != null) out.put(key, scalar);
            }
        }
    }

    private static Object scalar(JsonNode v) {
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual()) return v.textValue();
        if (v.isBoolean()) return v.booleanValue();
        return null;
    }

    private static Object array(JsonNode v) {
        int n = v.size();
        boolean longs = true, numbers = true, strings = true, bools = true;
        for (JsonNode x : v) {
            longs &= x.isIntegralNumber() && x.canConvertToLong();
            numbers &= x.isNumber();
            strings &= x.isTextual();
            bools &= x.isBoolean();
        }
        if (longs) {
            long[] a = new long[n];
            for (int i = 0; i < n; i++) a[i] = v.get(i).longValue();
            return a;
        }
        if (numbers) {
            double[] a = new double[n];
            for (int i = 0; i < n; i++) a[i] = v.get(i).doubleValue();
            return a;
        }
        if (strings) {
            String[] a = new String[n];
            for (int i = 0; i < n; i++) a[i] = v.get(i).textValue();
            return a;
        }
        if (bools) {
            boolean[] a = new boolean[n];
            for (int i = 0; i < n; i++) a[i] = v.get(i).booleanValue();
            return a;
        }
        return null;
    }
}
