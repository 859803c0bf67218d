package io.aircela.formats.gguf;

import io.aircela.ModelFormatException;
import io.aircela.quant.QuantType;
import io.aircela.weights.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a GGUF header (v1, v2, v3): magic, version, metadata key/values and the tensor table,
 * validating every count, length and offset against the file before anything is allocated.
 *
 * <pre>
 * magic "GGUF" | u32 version | count tensors | count kvs       (count: u32 in v1, u64 in v2+)
 * kv:     string key | u32 type | value                         (string: count length + UTF-8 bytes)
 * array:  u32 element type | count n | n values
 * tensor: string name | u32 n_dims | count dims[n_dims] | u32 ggml type | u64 offset (from data start)
 * data starts at the next multiple of general.alignment (default 32)
 * </pre>
 */
final class GgufHeaderParser {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    /**
     * Limits far above any real model (the largest have ~10^5 tensors, ~10^6-entry vocabularies and
     * chat templates of kilobytes) that keep a lying count in a many-gigabyte file from allocating
     * gigabytes of heap before the lie is found: a u8 array becomes a long[], eight times its bytes.
     */
    static final long MAX_TENSORS = 1L << 24;
    static final long MAX_ARRAY_LENGTH = 1L << 24;
    static final long MAX_STRING_BYTES = 1L << 26;

    // value types
    private static final int T_U8 = 0, T_I8 = 1, T_U16 = 2, T_I16 = 3, T_U32 = 4, T_I32 = 5, T_F32 = 6, T_BOOL = 7,
            T_STRING = 8, T_ARRAY = 9, T_U64 = 10, T_I64 = 11, T_F64 = 12;

    /** The parsed header. */
    record Header(int version, Map<String, Object> metadata, Map<String, Long> keyOffsets, List<TensorInfo> tensors,
                  long dataStart, int alignment) {
    }

    private final Path file;
    private final GgufCursor in;
    private final Map<String, Long> keyOffsets = new LinkedHashMap<>();
    private boolean wide;

    GgufHeaderParser(Path file, MemorySegment data) {
        this.file = file;
        this.in = new GgufCursor(file, data);
    }

    Header parse() {
        if (in.size() < 4)
            throw in.error("header.magic", 0, "file is " + in.size() + " bytes, too short for a GGUF header");
        long magic = in.u32("header.magic");
        if ((int) magic != MAGIC)
            throw in.error("header.magic", 0, String.format("bad magic 0x%08x, expected 0x%08x (\"GGUF\"); not a GGUF file",
                    (int) magic, MAGIC));
        long version = in.u32("header.version");
        if (version == 0x01000000L || version == 0x02000000L || version == 0x03000000L)
            throw in.error("header.version", 4, "version " + Long.reverseBytes(version << 32)
                    + " written big-endian (byte-swapped); only little-endian GGUF is supported");
        if (version < 1 || version > 3)
            throw in.error("header.version", 4, "unsupported GGUF version " + version + "; supported: 1, 2, 3");
        wide = version >= 2;
        long tensorCountAt = in.position();
        long tensorCount = in.count(wide, "header.tensor_count");
        long kvCountAt = in.position();
        long kvCount = in.count(wide, "header.kv_count");
        // every kv needs at least a key length, a type and a one-byte value; every tensor a name length,
        // n_dims, one dim, a type and an offset
        int countBytes = wide ? 8 : 4;
        if (kvCount > in.remaining() / (countBytes + 4 + 1))
            throw in.error("header.kv_count", kvCountAt, "kv count " + kvCount + " cannot fit in the "
                    + in.remaining() + " bytes left");
        if (tensorCount > in.remaining() / (countBytes + 4 + countBytes + 4 + 8))
            throw in.error("header.tensor_count", tensorCountAt, "tensor count " + tensorCount
                    + " cannot fit in the " + in.remaining() + " bytes left");
        if (tensorCount > MAX_TENSORS)
            throw in.error("header.tensor_count", tensorCountAt, "tensor count " + tensorCount
                    + " exceeds this reader's limit of " + MAX_TENSORS);

        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) readKv(metadata, i);

        int alignment = alignment(metadata);
        // grow as entries are really read: the count is only a claim until then
        List<TensorInfo> raw = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<Long> infoOffsets = new ArrayList<>();
        for (int i = 0; i < tensorCount; i++) {
            long at = in.position();
            TensorInfo t = readTensorInfo(i);
            if (!names.add(t.name())) throw in.error("tensor '" + t.name() + "'", at, "duplicate tensor name");
            infoOffsets.add(at);
            raw.add(t);
        }
        long dataStart = alignUp(in.position(), alignment);
        List<TensorInfo> tensors = placeTensors(raw, infoOffsets, dataStart, alignment);
        return new Header((int) version, metadata, Map.copyOf(keyOffsets), tensors, dataStart, alignment);
    }

    private void readKv(Map<String, Object> metadata, long index) {
        long at = in.position();
        String key = in.string(wide, "metadata[" + index + "].key");
        if (key.isEmpty()) throw in.error("metadata[" + index + "].key", at, "empty metadata key");
        if (metadata.containsKey(key)) throw in.error(key, at, "duplicate metadata key");
        keyOffsets.put(key, at);
        long typeAt = in.position();
        int type = (int) in.u32(key + " (type)");
        metadata.put(key, readValue(type, key, typeAt));
    }

    private Object readValue(int type, String key, long typeAt) {
        return switch (type) {
            case T_U8 -> (long) in.u8(key);
            case T_I8 -> (long) (byte) in.u8(key);
            case T_U16 -> (long) (in.u16(key) & 0xFFFF);
            case T_I16 -> (long) in.u16(key);
            case T_U32 -> in.u32(key);
            case T_I32 -> (long) (int) in.u32(key);
            case T_F32 -> in.f32(key);
            case T_BOOL -> readBool(key);
            case T_STRING -> in.string(wide, key);
            case T_ARRAY -> readArray(key);
            case T_U64, T_I64 -> in.u64(key);
            case T_F64 -> in.f64(key);
            default -> throw in.error(key, typeAt, "unknown metadata value type " + type + " (known: 0-12)");
        };
    }

    private boolean readBool(String key) {
        long at = in.position();
        int b = in.u8(key);
        if (b > 1) throw in.error(key, at, "bool value " + b + " is neither 0 nor 1");
        return b == 1;
    }

    private Object readArray(String key) {
        long typeAt = in.position();
        int elemType = (int) in.u32(key + " (array type)");
        long countAt = in.position();
        long n = in.count(wide, key + " (array length)");
        int minSize = switch (elemType) {
            case T_U8, T_I8, T_BOOL -> 1;
            case T_U16, T_I16 -> 2;
            case T_U32, T_I32, T_F32 -> 4;
            case T_U64, T_I64, T_F64 -> 8;
            case T_STRING -> wide ? 8 : 4;
            case T_ARRAY -> throw in.error(key, typeAt, "arrays of arrays are not supported");
            default -> throw in.error(key, typeAt, "unknown array element type " + elemType + " (known: 0-12)");
        };
        if (n > in.remaining() / minSize)
            throw in.error(key, countAt, "array length " + n + " runs past the end of the file ("
                    + in.remaining() + " bytes left)");
        if (n > MAX_ARRAY_LENGTH)
            throw in.error(key, countAt, "array length " + n + " exceeds this reader's limit of " + MAX_ARRAY_LENGTH);
        int len = (int) n;
        switch (elemType) {
            case T_F32 -> {
                float[] a = new float[len];
                for (int i = 0; i < len; i++) a[i] = in.f32(key);
                return a;
            }
            case T_F64 -> {
                double[] a = new double[len];
                for (int i = 0; i < len; i++) a[i] = in.f64(key);
                return a;
            }
            case T_BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) a[i] = readBool(key);
                return a;
            }
            case T_STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) a[i] = in.string(wide, key + "[" + i + "]");
                return a;
            }
            default -> {
                long[] a = new long[len];
                for (int i = 0; i < len; i++) a[i] = (Long) readValue(elemType, key, typeAt);
                return a;
            }
        }
    }

    private int alignment(Map<String, Object> metadata) {
        Object v = metadata.get("general.alignment");
        if (v == null) return DEFAULT_ALIGNMENT;
        long at = keyOffsets.get("general.alignment");
        if (!(v instanceof Long a))
            throw new ModelFormatException(file, "general.alignment", at, "must be an unsigned integer, found "
                    + GgufWeightSource.describe(v));
        if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1)
            throw new ModelFormatException(file, "general.alignment", at, "alignment " + a
                    + " is not a power of two between 1 and 2^30");
        return (int) (long) a;
    }

    private TensorInfo readTensorInfo(int index) {
        long at = in.position();
        String name = in.string(wide, "tensor[" + index + "].name");
        String field = name.isEmpty() ? "tensor[" + index + "]" : "tensor '" + name + "'";
        if (name.isEmpty()) throw in.error(field, at, "empty tensor name");
        long dimsAt = in.position();
        long nDims = in.u32(field + " n_dims");
        if (nDims < 1 || nDims > MAX_DIMS)
            throw in.error(field, dimsAt, "rank " + nDims + " is not between 1 and " + MAX_DIMS);
        long[] shape = new long[(int) nDims];
        long elements = 1;
        long nonZero = 1; // a zero dimension must not hide an overflow that TensorInfo.rows() would hit
        for (int d = 0; d < nDims; d++) {
            long dimAt = in.position();
            shape[d] = in.count(wide, field + " dim " + d);
            try {
                nonZero = Math.multiplyExact(nonZero, Math.max(1, shape[d]));
            } catch (ArithmeticException e) {
                throw in.error(field, dimAt, "dimensions " + Arrays.toString(Arrays.copyOf(shape, d + 1))
                        + " overflow: their product exceeds 2^63");
            }
            elements *= shape[d];
        }
        long typeAt = in.position();
        long typeId = in.u32(field + " type");
        QuantType type = QuantType.byId(typeId).orElseThrow(() ->
                in.error(field, typeAt, "unknown tensor type " + typeId + " (not a ggml type this build knows)"));
        if (shape[0] % type.blockSize() != 0)
            throw in.error(field, dimsAt, "row length " + shape[0] + " is not a multiple of " + type
                    + "'s block size " + type.blockSize());
        long offsetAt = in.position();
        long offset = in.u64(field + " offset");
        if (offset < 0) throw in.error(field, offsetAt, "data offset " + Long.toUnsignedString(offset) + " is absurd");
        long bytes;
        try {
            bytes = type.byteSize(elements);
        } catch (ArithmeticException e) {
            throw in.error(field, dimsAt, "byte size overflows");
        }
        return new TensorInfo(name, type, shape, offset, bytes, layerOf(name));
    }

    /** Turns relative offsets into absolute ones and checks alignment, bounds and overlaps. */
    private List<TensorInfo> placeTensors(List<TensorInfo> raw, List<Long> infoOffsets, long dataStart, int alignment) {
        List<TensorInfo> placed = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            TensorInfo t = raw.get(i);
            String field = "tensor '" + t.name() + "'";
            if (t.offset() % alignment != 0)
                throw in.error(field, infoOffsets.get(i), "data offset " + t.offset() + " is not a multiple of the alignment "
                        + alignment);
            long start = dataStart + t.offset();
            if (start < 0 || start > in.size() || t.byteSize() > in.size() - start)
                throw in.error(field, infoOffsets.get(i), "tensor data [" + start + ", " + (start + t.byteSize())
                        + ") lies past the end of the file (" + in.size() + " bytes); the file is truncated");
            placed.add(new TensorInfo(t.name(), t.type(), t.shape(), start, t.byteSize(), t.layer()));
        }
        checkOverlaps(placed);
        return placed;
    }

    /** Compares each tensor with the furthest-reaching earlier one, so a short or empty neighbour hides nothing. */
    private void checkOverlaps(List<TensorInfo> placed) {
        List<TensorInfo> byOffset = new ArrayList<>(placed);
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        TensorInfo reach = null;
        for (TensorInfo cur : byOffset) {
            if (cur.byteSize() == 0) continue;
            if (reach != null && cur.offset() < reach.end())
                throw in.error("tensor '" + cur.name() + "'", cur.offset(), "data overlaps tensor '" + reach.name()
                        + "' (which ends at byte " + reach.end() + ")");
            if (reach == null || cur.end() > reach.end()) reach = cur;
        }
    }

    /** {@code N} of {@code blk.N.*}, or -1. */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int dot = name.indexOf('.', 4);
        if (dot <= 4 || dot - 4 > 6) return -1;
        int n = 0;
        for (int i = 4; i < dot; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') return -1;
            n = n * 10 + (c - '0');
        }
        return n;
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }
}
