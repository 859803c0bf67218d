package io.aircela.formats.gguf;

import io.aircela.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.aircela.formats.gguf.GgufBuilder.ARRAY;
import static io.aircela.formats.gguf.GgufBuilder.I32;
import static io.aircela.formats.gguf.GgufBuilder.STRING;
import static io.aircela.formats.gguf.GgufBuilder.U32;
import static io.aircela.formats.gguf.GgufRejects.assertMentions;
import static io.aircela.formats.gguf.GgufRejects.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Malformed headers and metadata: each names the field and the byte offset, nothing else escapes. */
class GgufMalformedHeaderTest {
    private static final byte[] ABC = "abc".getBytes(StandardCharsets.UTF_8);
    private static final long ALL_ONES = 0xFFFF_FFFF_FFFF_FFFFL;

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("bad.gguf");
    }

    /** Offset of a kv entry's value: entry start + key (length + bytes) + u32 type. */
    private static long valueAt(GgufBuilder b, String key, int version) {
        return b.mark("kv:" + key) + (version == 1 ? 4 : 8) + key.length() + 4;
    }

    @Test
    void emptyFile() {
        assertMentions(rejects(file(), new byte[0], "header.magic", 0), "0 bytes");
    }

    @Test
    void fileShorterThanTheFixedHeader() {
        rejects(file(), new byte[]{'G', 'G', 'U'}, "header.magic", 0);
        rejects(file(), new byte[]{'G', 'G', 'U', 'F', 3, 0}, "header.version", 4);
        rejects(file(), new byte[]{'G', 'G', 'U', 'F', 3, 0, 0, 0, 1}, "header.tensor_count", 8);
    }

    @Test
    void badMagic() {
        assertMentions(rejects(file(), new GgufBuilder().magic(0x4C4D4747), "header.magic", 0), "not a GGUF file");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 4, 0xFFFF_FFFFL})
    void unsupportedVersion(long version) {
        assertMentions(rejects(file(), new GgufBuilder().rawVersion(version), "header.version", 4),
                "unsupported GGUF version " + version);
    }

    @ParameterizedTest
    @ValueSource(longs = {0x0100_0000L, 0x0200_0000L, 0x0300_0000L})
    void byteSwappedVersion(long version) {
        assertMentions(rejects(file(), new GgufBuilder().rawVersion(version), "header.version", 4), "byte-swapped");
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 62, 1L << 40, ALL_ONES})
    void absurdTensorCount(long count) {
        GgufBuilder b = TinyGguf.llama(3).tensorCount(count);
        rejects(file(), b.build(), "header.tensor_count", 8);
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 62, 1L << 40, ALL_ONES})
    void absurdKvCount(long count) {
        GgufBuilder b = TinyGguf.llama(3).kvCount(count);
        rejects(file(), b.build(), "header.kv_count", 16);
    }

    @Test
    void absurdCountsInV1AreThirtyTwoBit() {
        GgufBuilder b = TinyGguf.llama(1).kvCount(0xFFFF_FFFFL);
        rejects(file(), b.build(), "header.kv_count", 12);
        b = TinyGguf.llama(1).tensorCount(0x7FFF_FFFFL);
        rejects(file(), b.build(), "header.tensor_count", 8);
    }

    @Test
    void keyLengthPastTheEnd() {
        GgufBuilder b = new GgufBuilder().u32("a.b", 1).rawKv("bad", o -> o.count(1000).raw(ABC));
        assertMentions(rejects(file(), b.build(), "metadata[1].key", b.mark("kv:bad")), "past the end");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void stringValueLengthPastTheEnd(int version) {
        GgufBuilder b = new GgufBuilder().version(version).kv("general.name", STRING, o -> o.count(1000).raw(ABC));
        assertMentions(rejects(file(), b.build(), "general.name", valueAt(b, "general.name", version)), "past the end");
    }

    @Test
    void stringLengthOverflowing() {
        GgufBuilder b = new GgufBuilder().kv("general.name", STRING, o -> o.u64(ALL_ONES).raw(ABC));
        assertMentions(rejects(file(), b.build(), "general.name", valueAt(b, "general.name", 3)), "18446744073709551615");
        b = new GgufBuilder().kv("general.name", STRING, o -> o.u64(Long.MAX_VALUE).raw(ABC));
        rejects(file(), b.build(), "general.name", valueAt(b, "general.name", 3));
        b = new GgufBuilder().version(1).kv("general.name", STRING, o -> o.u32(0xFFFF_FFFFL).raw(ABC));
        rejects(file(), b.build(), "general.name", valueAt(b, "general.name", 1));
    }

    @Test
    void arrayLengthPastTheEnd() {
        GgufBuilder b = new GgufBuilder().kv("x.ids", ARRAY, o -> o.u32(I32).count(1000).u32(7).u32(8));
        long countAt = valueAt(b, "x.ids", 3) + 4;
        assertMentions(rejects(file(), b.build(), "x.ids", countAt), "array length 1000");
        b = new GgufBuilder().kv("x.ids", ARRAY, o -> o.u32(STRING).count(3).string("a").string("b".repeat(25)));
        rejects(file(), b.build(), "x.ids[2]", GgufRejects.ANY_OFFSET);
    }

    @ParameterizedTest
    @ValueSource(longs = {ALL_ONES, 1L << 62, 1L << 61, Long.MAX_VALUE})
    void arrayLengthOverflowing(long n) {
        GgufBuilder b = new GgufBuilder().kv("x.ids", ARRAY, o -> o.u32(I32).u64(n).u32(7));
        rejects(file(), b.build(), "x.ids", valueAt(b, "x.ids", 3) + 4);
    }

    @Test
    void emptyKey() {
        GgufBuilder b = new GgufBuilder().u32("a.b", 1).rawKv("empty", o -> o.string("").u32(U32).u32(1));
        assertMentions(rejects(file(), b.build(), "metadata[1].key", b.mark("kv:empty")), "empty");
    }

    @Test
    void duplicateKey() {
        GgufBuilder b = new GgufBuilder().u32("a.b", 1).u32("c.d", 2).u32("a.b", 3);
        assertMentions(rejects(file(), b.build(), "a.b", b.mark("kv:a.b")), "duplicate");
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 99, -1})
    void unknownValueType(int type) {
        GgufBuilder b = new GgufBuilder().u32("a.b", 1).kv("x.weird", type, o -> o.u32(0));
        long typeAt = valueAt(b, "x.weird", 3) - 4;
        assertMentions(rejects(file(), b.build(), "x.weird", typeAt), "unknown metadata value type");
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 100})
    void unknownArrayElementType(int type) {
        GgufBuilder b = new GgufBuilder().kv("x.arr", ARRAY, o -> o.u32(type).count(1).u32(0));
        assertMentions(rejects(file(), b.build(), "x.arr", valueAt(b, "x.arr", 3)), "unknown array element type");
    }

    @Test
    void arraysOfArrays() {
        GgufBuilder b = new GgufBuilder().kv("x.nested", ARRAY, o -> o.u32(ARRAY).count(1).u32(I32).count(1).u32(5));
        assertMentions(rejects(file(), b.build(), "x.nested", valueAt(b, "x.nested", 3)), "arrays of arrays");
    }

    @Test
    void boolThatIsNeitherZeroNorOne() {
        GgufBuilder b = new GgufBuilder().kv("x.flag", GgufBuilder.BOOL, o -> o.u8(2));
        rejects(file(), b.build(), "x.flag", valueAt(b, "x.flag", 3));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 48, 1L << 31})
    void alignmentNotAPowerOfTwo(long alignment) {
        GgufBuilder b = TinyGguf.llama(3).u32("general.alignment", alignment);
        ModelFormatException e = rejects(file(), b.build(), "general.alignment", b.mark("kv:general.alignment"));
        assertMentions(e, "power of two");
    }

    @Test
    void alignmentOfTheWrongType() {
        GgufBuilder b = TinyGguf.llama(3).str("general.alignment", "32");
        assertMentions(rejects(file(), b.build(), "general.alignment", b.mark("kv:general.alignment")), "string");
        b = TinyGguf.llama(3).f32("general.alignment", 32f);
        assertMentions(rejects(file(), b.build(), "general.alignment", b.mark("kv:general.alignment")), "float");
    }

    @Test
    void aLargerPowerOfTwoAlignmentIsHonoured() {
        GgufBuilder b = TinyGguf.llama(2).u32("general.alignment", 256).dataAlignment(256);
        try (GgufWeightSource s = GgufWeightSource.open(b.write(file()))) {
            assertEquals(0, s.dataStart() % 256);
            s.tensors().forEach(t -> assertEquals(0, t.offset() % 256, t.name()));
        }
    }

    @Test
    void tensorCountBeyondTheReadersLimitInAFileBigEnoughToClaimIt() throws java.io.IOException {
        // a sparse 1 GiB file could hold 2^24+1 minimal tensor infos; the claim is refused before any is read
        Path file = file();
        byte[] header = new GgufBuilder().tensorCount(GgufHeaderParser.MAX_TENSORS + 1).header();
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(header), 0);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), 1L << 30);
        }
        ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(ModelFormatException.class,
                () -> GgufWeightSource.open(file).close());
        assertEquals("header.tensor_count", e.field());
        assertEquals(8, e.offset());
        assertMentions(e, "limit");
    }

    @Test
    void arrayLongerThanTheReadersLimitIsRefusedBeforeAllocating() {
        // a u8 array claims 2^24+1 elements and the file really has that many bytes: refused, not allocated as long[]
        int n = (1 << 24) + 1;
        GgufBuilder b = new GgufBuilder().kv("x.big", ARRAY, o -> o.u32(GgufBuilder.U8).count(n).raw(new byte[n]));
        assertMentions(rejects(file(), b.build(), "x.big", valueAt(b, "x.big", 3) + 4), "limit");
    }
}
