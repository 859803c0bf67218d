package io.aircela.formats.gguf;

import io.aircela.quant.QuantType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Test-side GGUF writer: emits v1, v2 or v3 files with arbitrary values, valid or not (wrong magic,
 * lying counts, unknown types, overlapping offsets...). {@link #build()} records where each field
 * was written ({@link #mark}) so tests can assert the offsets in error messages.
 *
 * <p>Tensor data is placed at the next multiple of {@link #dataAlignment} after the previous tensor,
 * unless an explicit offset is given; nothing is padded after the last tensor, so every byte of a
 * built file is needed.
 */
final class GgufBuilder {
    static final int U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
            U64 = 10, I64 = 11, F64 = 12;

    /** Little-endian output whose counts are 32-bit in v1 and 64-bit after. */
    static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final boolean wide;

        Out(int version) {
            this.wide = version >= 2;
        }

        long position() {
            return bytes.size();
        }

        Out u8(int v) {
            bytes.write(v);
            return this;
        }

        Out u32(long v) {
            for (int i = 0; i < 4; i++) bytes.write((int) (v >>> (8 * i)));
            return this;
        }

        Out u64(long v) {
            for (int i = 0; i < 8; i++) bytes.write((int) (v >>> (8 * i)));
            return this;
        }

        Out f32(float v) {
            return u32(Float.floatToRawIntBits(v));
        }

        Out count(long n) {
            return wide ? u64(n) : u32(n);
        }

        Out raw(byte[] b) {
            bytes.writeBytes(b);
            return this;
        }

        Out string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return count(b.length).raw(b);
        }

        void padTo(long position) {
            while (bytes.size() < position) bytes.write(0);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    /** A tensor info and its data; {@code offset} null = placed automatically, {@code rank} null = shape length. */
    record Tensor(String name, int typeId, long[] shape, Long offset, long dataBytes, Integer rank) {
    }

    private record Kv(String key, Consumer<Out> entry) {
    }

    private int version = 3;
    private int magic = GgufHeaderParser.MAGIC;
    private Long rawVersion;
    private Long tensorCount;
    private Long kvCount;
    private int dataAlignment = GgufHeaderParser.DEFAULT_ALIGNMENT;
    private final List<Kv> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, Long> marks = new HashMap<>();

    GgufBuilder version(int v) {
        this.version = v;
        return this;
    }

    /** Writes this 32-bit value as the version, keeping the count width of {@link #version}. */
    GgufBuilder rawVersion(long v) {
        this.rawVersion = v;
        return this;
    }

    GgufBuilder magic(int m) {
        this.magic = m;
        return this;
    }

    GgufBuilder tensorCount(long n) {
        this.tensorCount = n;
        return this;
    }

    GgufBuilder kvCount(long n) {
        this.kvCount = n;
        return this;
    }

    /** Where automatic tensor placement aligns (the reader uses general.alignment, default 32). */
    GgufBuilder dataAlignment(int a) {
        this.dataAlignment = a;
        return this;
    }

    /** A raw entry: the key string, then whatever {@code entry} writes (type and value). */
    GgufBuilder rawKv(String markName, Consumer<Out> entry) {
        kvs.add(new Kv(markName, entry));
        return this;
    }

    /** A key/value pair with any type id and a value written by {@code value}. */
    GgufBuilder kv(String key, int type, Consumer<Out> value) {
        return rawKv(key, o -> {
            o.string(key).u32(type);
            value.accept(o);
        });
    }

    GgufBuilder str(String key, String v) {
        return kv(key, STRING, o -> o.string(v));
    }

    GgufBuilder u32(String key, long v) {
        return kv(key, U32, o -> o.u32(v));
    }

    GgufBuilder i32(String key, int v) {
        return kv(key, I32, o -> o.u32(v));
    }

    GgufBuilder u64(String key, long v) {
        return kv(key, U64, o -> o.u64(v));
    }

    GgufBuilder f32(String key, float v) {
        return kv(key, F32, o -> o.f32(v));
    }

    GgufBuilder bool(String key, boolean v) {
        return kv(key, BOOL, o -> o.u8(v ? 1 : 0));
    }

    GgufBuilder strings(String key, String... v) {
        return kv(key, ARRAY, o -> {
            o.u32(STRING).count(v.length);
            for (String s : v) o.string(s);
        });
    }

    GgufBuilder i32s(String key, int... v) {
        return kv(key, ARRAY, o -> {
            o.u32(I32).count(v.length);
            for (int x : v) o.u32(x);
        });
    }

    GgufBuilder f32s(String key, float... v) {
        return kv(key, ARRAY, o -> {
            o.u32(F32).count(v.length);
            for (float x : v) o.f32(x);
        });
    }

    /** Removes every entry with this key (to make a valid model invalid). */
    GgufBuilder remove(String key) {
        kvs.removeIf(kv -> kv.key().equals(key));
        tensors.removeIf(t -> t.name().equals(key));
        return this;
    }

    /** A well-formed tensor of a known type, data placed automatically. */
    GgufBuilder tensor(String name, QuantType type, long... shape) {
        long elements = 1;
        for (long d : shape) elements *= d;
        return tensor(new Tensor(name, type.id(), shape, null, type.byteSize(elements), null));
    }

    GgufBuilder tensor(Tensor t) {
        tensors.add(t);
        return this;
    }

    /** Offset recorded by the last {@link #build()}: "header.tensor_count", "header.kv_count", "kv:KEY",
     * "tensor:NAME" (start of the info), "data:NAME" (absolute data start), "data" (start of the data section). */
    long mark(String name) {
        Long at = marks.get(name);
        if (at == null) throw new IllegalArgumentException("no mark " + name + " in " + marks.keySet());
        return at;
    }

    /** The header through the data start (padding included), without tensor data; records the marks. */
    byte[] header() {
        marks.clear();
        Out o = new Out(version);
        o.u32(magic).u32(rawVersion != null ? rawVersion : version);
        marks.put("header.tensor_count", o.position());
        o.count(tensorCount != null ? tensorCount : tensors.size());
        marks.put("header.kv_count", o.position());
        o.count(kvCount != null ? kvCount : kvs.size());
        for (Kv kv : kvs) {
            marks.put("kv:" + kv.key(), o.position());
            kv.entry().accept(o);
        }
        long[] offsets = placeData();
        for (int i = 0; i < tensors.size(); i++) writeInfo(o, tensors.get(i), offsets[i]);
        long dataStart = GgufHeaderParser.alignUp(o.position(), dataAlignment);
        marks.put("data", dataStart);
        o.padTo(dataStart);
        for (int i = 0; i < tensors.size(); i++) marks.put("data:" + tensors.get(i).name(), dataStart + offsets[i]);
        return o.toByteArray();
    }

    /** The whole file: header, then each tensor's (deterministic) data at its offset. */
    byte[] build() {
        byte[] header = header();
        long end = header.length;
        for (Tensor t : tensors) end = Math.max(end, mark("data:" + t.name()) + t.dataBytes());
        byte[] file = new byte[Math.toIntExact(end)];
        System.arraycopy(header, 0, file, 0, header.length);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            fill(file, mark("data:" + t.name()), t.dataBytes(), i);
        }
        return file;
    }

    private long[] placeData() {
        long[] offsets = new long[tensors.size()];
        long next = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            offsets[i] = t.offset() != null ? t.offset() : GgufHeaderParser.alignUp(next, dataAlignment);
            if (t.offset() == null) next = offsets[i] + t.dataBytes();
        }
        return offsets;
    }

    private void writeInfo(Out o, Tensor t, long offset) {
        marks.put("tensor:" + t.name(), o.position());
        o.string(t.name());
        o.u32(t.rank() != null ? t.rank() : t.shape().length);
        for (long d : t.shape()) o.count(d);
        o.u32(t.typeId());
        o.u64(offset);
    }

    /** Deterministic, tensor-specific bytes (so a test can tell tensors apart); never past the array. */
    private static void fill(byte[] file, long from, long n, int seed) {
        long to = Math.min(file.length, from + n);
        for (long p = from; p < to; p++) file[(int) p] = (byte) (p * 31 + seed * 7 + 1);
    }

    Path write(Path file) {
        try {
            return Files.write(file, build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
