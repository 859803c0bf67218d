package io.aircela.formats.gguf;

import io.aircela.AirCelaException;
import io.aircela.quant.QuantType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF (version 3) file: metadata key/values, tensor infos, then each tensor's bytes at an
 * offset aligned to {@code general.alignment} (32 unless put otherwise). The layout, quoted from
 * ggml's gguf.c:
 * <pre>
 * u32 magic "GGUF", u32 version 3, u64 n_tensors, u64 n_kv
 * n_kv    x { string key, u32 type, value }          string = u64 length + UTF-8 bytes
 * n_tensors x { string name, u32 n_dims, u64 ne[n_dims] (innermost first), u32 ggml_type, u64 offset }
 * padding to alignment; tensor data (offsets relative to here, each aligned)
 * </pre>
 * Tensor bytes are produced on demand by a {@link Content}, a chunk of rows at a time, so a file of
 * many GiB is written with a few MiB of memory. The file appears atomically: it is written next to
 * its path and moved there at the end, so an interrupted write never leaves a file that looks whole.
 *
 * <p>Not thread-safe: build, then {@link #write} once.
 */
public final class GgufWriter {
    private static final int T_U32 = 4, T_I32 = 5, T_F32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9;
    private static final long CHUNK_BYTES = 4 << 20;

    /** Fills the stored bytes of rows {@code [firstRow, firstRow + rows)} of a tensor into {@code out} (exactly). */
    @FunctionalInterface
    public interface Content {
        void write(long firstRow, int rows, ByteBuffer out);
    }

    /** Told the bytes written so far and the file's size, after each chunk. */
    @FunctionalInterface
    public interface Progress {
        void written(long bytes, long total);
    }

    private record Tensor(String name, QuantType type, long[] shape, Content content, long rowBytes, long rows) {
    }

    private final Map<String, byte[]> values = new LinkedHashMap<>(); // key -> u32 type + encoded value
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = GgufHeaderParser.DEFAULT_ALIGNMENT;

    public GgufWriter putString(String key, String value) {
        return put(key, T_STRING, encoded(value));
    }

    public GgufWriter putU32(String key, long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) throw new IllegalArgumentException(key + ": " + value + " is not a u32");
        if (key.equals("general.alignment")) {
            if (value == 0 || Long.bitCount(value) != 1) throw new IllegalArgumentException("alignment " + value);
            alignment = (int) value;
        }
        return put(key, T_U32, le(4).putInt((int) value).array());
    }

    public GgufWriter putF32(String key, float value) {
        return put(key, T_F32, le(4).putFloat(value).array());
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, T_BOOL, new byte[]{(byte) (value ? 1 : 0)});
    }

    public GgufWriter putStrings(String key, String[] items) {
        List<byte[]> parts = new ArrayList<>();
        int n = 0;
        for (String s : items) {
            byte[] e = encoded(s);
            parts.add(e);
            n += e.length;
        }
        ByteBuffer b = arrayHead(T_STRING, items.length, n);
        parts.forEach(b::put);
        return put(key, T_ARRAY, b.array());
    }

    public GgufWriter putF32s(String key, float[] items) {
        ByteBuffer b = arrayHead(T_F32, items.length, 4L * items.length);
        for (float f : items) b.putFloat(f);
        return put(key, T_ARRAY, b.array());
    }

    public GgufWriter putI32s(String key, int[] items) {
        ByteBuffer b = arrayHead(T_I32, items.length, 4L * items.length);
        for (int i : items) b.putInt(i);
        return put(key, T_ARRAY, b.array());
    }

    /**
     * Adds a tensor. {@code shape} is in ggml order (innermost first); a row is {@code shape[0]}
     * elements, which must be whole blocks of {@code type}.
     */
    public GgufWriter addTensor(String name, QuantType type, long[] shape, Content content) {
        if (shape.length == 0 || shape.length > 4) throw new IllegalArgumentException(name + ": 1 to 4 dims");
        if (shape[0] % type.blockSize() != 0)
            throw new IllegalArgumentException(name + ": rows of " + shape[0] + " are not whole " + type + " blocks");
        long rows = 1;
        for (int i = 1; i < shape.length; i++) rows = Math.multiplyExact(rows, shape[i]);
        tensors.add(new Tensor(name, type, shape.clone(), content, type.byteSize(shape[0]), rows));
        return this;
    }

    /** Bytes the file will have. */
    public long fileBytes() {
        long data = 0;
        for (Tensor t : tensors) data = alignUp(data) + t.rowBytes * t.rows;
        return alignUp(header().length) + data;
    }

    /**
     * Writes the file to {@code path} (replacing it), reporting progress to {@code progress}.
     *
     * @throws AirCelaException when it cannot be written (the partial file is removed)
     */
    public void write(Path path, Progress progress) {
        Path part = path.resolveSibling(path.getFileName() + ".part");
        long total = fileBytes();
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] header = header();
            writeFully(ch, ByteBuffer.wrap(header));
            long pos = alignUp(header.length);
            for (Tensor t : tensors) pos = writeTensor(ch, t, pos, total, progress);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof RuntimeException r) throw r;
            throw new AirCelaException("cannot write " + path + ": " + e.getMessage(), e);
        }
        try {
            Files.move(part, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new AirCelaException("cannot move " + part + " to " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code t} at the next aligned position after {@code pos}; returns where it ended. */
    private long writeTensor(FileChannel ch, Tensor t, long pos, long total, Progress progress) throws IOException {
        long start = alignUp(pos);
        int chunkRows = (int) Math.max(1, Math.min(t.rows, CHUNK_BYTES / t.rowBytes));
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(chunkRows * t.rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        long at = start;
        for (long row = 0; row < t.rows; row += chunkRows) {
            int n = (int) Math.min(chunkRows, t.rows - row);
            buf.clear().limit(Math.toIntExact(n * t.rowBytes));
            t.content.write(row, n, buf);
            if (buf.hasRemaining())
                throw new IllegalStateException(t.name + ": content left " + buf.remaining() + " bytes of rows " + row
                        + ".." + (row + n) + " unwritten");
            buf.flip();
            while (buf.hasRemaining()) at += ch.write(buf, at);
            progress.written(at, total);
        }
        return at;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private byte[] header() {
        ByteBuffer head = le(24).putInt(GgufHeaderParser.MAGIC).putInt(3).putLong(tensors.size()).putLong(values.size());
        Growing out = new Growing();
        out.put(head.array());
        for (var e : values.entrySet()) {
            out.put(encoded(e.getKey()));
            out.put(e.getValue());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            offset = alignUp(offset);
            out.put(encoded(t.name));
            ByteBuffer info = le(4 + 8 * t.shape.length + 4 + 8).putInt(t.shape.length);
            for (long d : t.shape) info.putLong(d);
            info.putInt(t.type.id()).putLong(offset);
            out.put(info.array());
            offset += t.rowBytes * t.rows;
        }
        return out.toArray();
    }

    private GgufWriter put(String key, int type, byte[] value) {
        values.put(key, le(4 + value.length).putInt(type).put(value).array());
        return this;
    }

    private static ByteBuffer arrayHead(int elementType, long count, long bytes) {
        return le(Math.toIntExact(12 + bytes)).putInt(elementType).putLong(count);
    }

    private static byte[] encoded(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return le(8 + utf8.length).putLong(utf8.length).put(utf8).array();
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private long alignUp(long x) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** A byte array that grows (the header is small: metadata and tensor infos). */
    private static final class Growing {
        private byte[] bytes = new byte[1 << 12];
        private int size;

        void put(byte[] b) {
            if (size + b.length > bytes.length) bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + b.length));
            System.arraycopy(b, 0, bytes, size, b.length);
            size += b.length;
        }

        byte[] toArray() {
            return java.util.Arrays.copyOf(bytes, size);
        }
    }
}
