package io.aircela.formats.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;
import io.aircela.UnsupportedModelException;
import io.aircela.formats.internal.MappedFile;
import io.aircela.quant.QuantType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One {@code .safetensors} file, mapped read-only and its header validated. Layout on disk:
 * <pre>
 *   u64 little-endian N        header length
 *   N bytes UTF-8 JSON         {"name": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end]}, ...,
 *                               "__metadata__": {"k": "v"}}  (may be padded with spaces)
 *   data                       tensors packed back to back; offsets are relative to the data's start
 * </pre>
 * Owns its {@link MappedFile}: {@link #close()} unmaps the file and closes its channel (a second close does nothing).
 */
final class SafetensorsFile implements AutoCloseable {
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_RANK = 4;
    /** More tensors than any real checkpoint's shard holds; bounds what a hostile header can make us allocate. */
    static final int MAX_TENSORS = 1 << 17;
    /** dtypes safetensors defines that AirCELA does not read: a typed "unsupported", not "malformed". */
    private static final Set<String> KNOWN_UNSUPPORTED = Set.of("BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64",
            "I64", "F64", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "E8M0", "F4", "F6_E2M3", "F6_E3M2");

    /**
     * One tensor as stored.
     *
     * @param name    the name in the file (HF spelling)
     * @param shape   dimensions as stored: outermost first ({@code [rows, cols]})
     * @param begin   absolute file offset of the first byte
     * @param end     absolute file offset one past the last byte
     */
    record Entry(String name, QuantType type, long[] shape, long begin, long end) {
    }

    final Path path;
    final MappedFile mapped;
    final long dataStart;
    final List<Entry> entries;
    final Map<String, String> metadata;

    private SafetensorsFile(MappedFile file, long dataStart, List<Entry> entries, Map<String, String> metadata) {
        this.path = file.path();
        this.mapped = file;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps {@code path} and validates its header; the mapping is released again on failure. */
    static SafetensorsFile open(Path path) {
        MappedFile mapped;
        try {
            mapped = MappedFile.open(path);
        } catch (IOException e) {
            throw new AirCelaException("cannot read safetensors file " + path + ": " + e.getMessage(), e);
        }
        try {
            return parse(mapped);
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(MappedFile mapped) {
        Path path = mapped.path();
        MemorySegment file = mapped.segment();
        long size = file.byteSize();
        if (size < 8)
            throw new ModelFormatException(path, "header length", 0, "file is " + size
                    + " bytes; a safetensors file starts with an 8-byte little-endian header length");
        long n = file.get(U64_LE, 0);
        if (n < 0 || n > HfJson.MAX_BYTES)
            throw new ModelFormatException(path, "header length", 0, "header length " + Long.toUnsignedString(n)
                    + " is over the " + HfJson.MAX_BYTES + " bytes accepted (is this a safetensors file?)");
        if (n > size - 8)
            throw new ModelFormatException(path, "header length", 0, "header of " + n + " bytes runs past the end of the "
                    + size + "-byte file (truncated download?)");
        byte[] json = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        long dataStart = 8 + n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = readHeader(path, json, size - dataStart, dataStart, metadata);
        checkPacked(path, entries, dataStart, size);
        return new SafetensorsFile(mapped, dataStart, List.copyOf(entries), Map.copyOf(metadata));
    }

    private static List<Entry> readHeader(Path path, byte[] json, long dataLength, long dataStart,
                                          Map<String, String> metadata) {
        List<Entry> entries = new ArrayList<>();
        try (JsonParser p = HfJson.parser(path, "header", json, 8)) {
            if (p.nextToken() != JsonToken.START_OBJECT)
                throw new ModelFormatException(path, "header", 8, "expected a JSON object mapping tensor names to "
                        + "{dtype, shape, data_offsets}");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                long at = 8 + p.currentTokenLocation().getByteOffset();
                p.nextToken();
                JsonNode value = p.readValueAsTree();
                if (name.equals("__metadata__")) readMetadata(path, value, at, metadata);
                else if (entries.size() == MAX_TENSORS)
                    throw new ModelFormatException(path, name, at, "more than " + MAX_TENSORS + " tensors in one file");
                else entries.add(entry(path, name, value, at, dataLength, dataStart));
            }
            HfJson.expectEnd(path, "header", p, 8);
        } catch (JacksonException e) {
            throw HfJson.malformed(path, "header", e, 8);
        } catch (IOException e) {
            throw new AirCelaException("cannot parse the header of " + path + ": " + e.getMessage(), e);
        }
        return entries;
    }

    private static void readMetadata(Path path, JsonNode value, long at, Map<String, String> out) {
        if (!value.isObject())
            throw new ModelFormatException(path, "__metadata__", at, "expected an object of strings, found " + kind(value));
        for (Map.Entry<String, JsonNode> e : value.properties()) {
            if (!e.getValue().isTextual())
                throw new ModelFormatException(path, "__metadata__." + e.getKey(), at, "expected a string, found "
                        + kind(e.getValue()));
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static Entry entry(Path path, String name, JsonNode v, long at, long dataLength, long dataStart) {
        if (!v.isObject())
            throw new ModelFormatException(path, name, at, "expected {dtype, shape, data_offsets}, found " + kind(v));
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual())
            throw new ModelFormatException(path, name, at, "dtype is missing or not a string (found " + kind(dt) + ")");
        QuantType type = dtype(path, name, dt.textValue(), at);
        long[] shape = naturals(path, name, "shape", v.get("shape"), at);
        if (shape.length > MAX_RANK)
            throw new ModelFormatException(path, name, at, "shape has " + shape.length + " dimensions; at most "
                    + MAX_RANK + " are supported");
        long[] offsets = naturals(path, name, "data_offsets", v.get("data_offsets"), at);
        if (offsets.length != 2)
            throw new ModelFormatException(path, name, at, "data_offsets must be [begin, end], found "
                    + offsets.length + " numbers");
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw new ModelFormatException(path, name, at, "data_offsets [" + begin + ", " + end + "] end before they begin");
        if (end > dataLength)
            throw new ModelFormatException(path, name, at, "data_offsets [" + begin + ", " + end + "] run past the end of "
                    + "the " + dataLength + " data bytes (truncated file?)");
        long bytes = byteSize(path, name, type, shape, at);
        if (bytes != end - begin)
            throw new ModelFormatException(path, name, at, "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes but shape " + Arrays.toString(shape) + " of " + type + " needs " + bytes);
        return new Entry(name, type, shape, dataStart + begin, dataStart + end);
    }

    private static QuantType dtype(Path path, String name, String dtype, long at) {
        return switch (dtype) {
            case "F32" -> QuantType.F32;
            case "F16" -> QuantType.F16;
            case "BF16" -> QuantType.BF16;
            default -> {
                if (KNOWN_UNSUPPORTED.contains(dtype))
                    throw new UnsupportedModelException(path + ": tensor " + name + " has dtype " + dtype
                            + "; AirCELA reads F32, F16 and BF16 safetensors (convert the model, e.g. to GGUF)");
                throw new ModelFormatException(path, name, at, "unknown dtype \"" + shorten(dtype)
                        + "\"; expected F32, F16 or BF16");
            }
        };
    }

    private static long byteSize(Path path, String name, QuantType type, long[] shape, long at) {
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            return type.byteSize(elements);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(path, name, at, "shape " + Arrays.toString(shape) + " of " + type
                    + " overflows 64-bit sizes");
        }
    }

    /** An array of non-negative integers that fit a long. */
    private static long[] naturals(Path path, String name, String key, JsonNode v, long at) {
        if (v == null || !v.isArray())
            throw new ModelFormatException(path, name, at, key + " is missing or not an array (found " + kind(v) + ")");
        long[] out = new long[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0)
                throw new ModelFormatException(path, name, at, key + "[" + i + "] must be a non-negative integer, found "
                        + kind(x));
            out[i] = x.longValue();
        }
        return out;
    }

    /** Tensors must tile the data exactly: no gap, no overlap, no trailing bytes (as the reference reader demands). */
    private static void checkPacked(Path path, List<Entry> entries, long dataStart, long fileSize) {
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expect = dataStart;
        String previous = null;
        for (Entry e : entries) {
            if (e.begin() > expect)
                throw new ModelFormatException(path, e.name(), expect, "gap of " + (e.begin() - expect)
                        + " bytes before this tensor; tensors must be packed back to back");
            if (e.begin() < expect)
                throw new ModelFormatException(path, e.name(), e.begin(), "overlaps " + previous + ", which ends at byte "
                        + expect);
            expect = e.end();
            previous = e.name();
        }
        if (expect != fileSize)
            throw new ModelFormatException(path, "data", expect, (fileSize - expect)
                    + " trailing bytes after the last tensor");
    }

    static String kind(JsonNode v) {
        if (v == null || v.isMissingNode()) return "nothing";
        if (v.isTextual()) return "string \"" + shorten(v.textValue()) + "\"";
        if (v.isNumber() || v.isBoolean()) return v.getNodeType().name().toLowerCase() + " " + shorten(v.asText());
        return v.getNodeType().name().toLowerCase();
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    @Override
    public void close() {
        mapped.close();
    }
}
