package io.aircela.formats.gguf;

import io.aircela.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A bounds-checked little-endian reader over a mapped GGUF file. Every read checks the bytes left
 * first, so a truncated or lying file fails with a {@link ModelFormatException} naming the field
 * and offset, never an {@link IndexOutOfBoundsException}.
 */
final class GgufCursor {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment data;
    private final long size;
    private long pos;

    GgufCursor(Path file, MemorySegment data) {
        this.file = file;
        this.data = data;
        this.size = data.byteSize();
    }

    long position() {
        return pos;
    }

    long remaining() {
        return size - pos;
    }

    long size() {
        return size;
    }

    ModelFormatException error(String field, long offset, String problem) {
        return new ModelFormatException(file, field, offset, problem);
    }

    private void need(long bytes, String field) {
        if (bytes < 0 || bytes > size - pos)
            throw error(field, pos, "needs " + bytes + " bytes but the file has " + (size - pos)
                    + " left (truncated or corrupt file; re-download or re-convert it)");
    }

    int u8(String field) {
        need(1, field);
        return data.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    short u16(String field) {
        need(2, field);
        short v = data.get(U16, pos);
        pos += 2;
        return v;
    }

    /** Unsigned 32-bit value as a long. */
    long u32(String field) {
        need(4, field);
        int v = data.get(U32, pos);
        pos += 4;
        return v & 0xFFFFFFFFL;
    }

    /** A 64-bit value; the caller decides whether the high bit is legal. */
    long u64(String field) {
        need(8, field);
        long v = data.get(U64, pos);
        pos += 8;
        return v;
    }

    float f32(String field) {
        need(4, field);
        float v = data.get(F32, pos);
        pos += 4;
        return v;
    }

    double f64(String field) {
        need(8, field);
        double v = data.get(F64, pos);
        pos += 8;
        return v;
    }

    /** A count or length: 32-bit in GGUF v1, 64-bit after; must be non-negative. */
    long count(boolean wide, String field) {
        long at = pos;
        long n = wide ? u64(field) : u32(field);
        if (n < 0) throw error(field, at, "count " + Long.toUnsignedString(n) + " is absurd (over 2^63)");
        return n;
    }

    /** A GGUF string: length then UTF-8 bytes, checked against the bytes left before reading. */
    String string(boolean wide, String field) {
        long at = pos;
        long len = count(wide, field + " (string length)");
        if (len > remaining())
            throw error(field, at, "string length " + len + " runs past the end of the file (" + remaining()
                    + " bytes left)");
        if (len > GgufHeaderParser.MAX_STRING_BYTES)
            throw error(field, at, "string length " + len + " exceeds this reader's limit of "
                    + GgufHeaderParser.MAX_STRING_BYTES + " bytes");
        byte[] bytes = data.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    void skip(long bytes, String field) {
        need(bytes, field);
        pos += bytes;
    }

    void seek(long position) {
        this.pos = position;
    }
}
