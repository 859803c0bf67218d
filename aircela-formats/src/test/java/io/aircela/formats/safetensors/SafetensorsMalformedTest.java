package io.aircela.formats.safetensors;

import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;
import io.aircela.UnsupportedModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Every way a .safetensors file can be malformed gives a typed error naming file, field and offset. */
class SafetensorsMalformedTest {
    @TempDir
    Path tmp;

    private static final byte[] EIGHT = new byte[8];

    /** Writes a file with this header and data; opening it must fail naming {@code field} and {@code problem}. */
    private ModelFormatException broken(String header, byte[] data, String field, String problem) {
        Path f = SafetensorsWriter.write(tmp.resolve("x.safetensors"), header, data);
        return expect(f, field, problem);
    }

    private ModelFormatException expect(Path f, String field, String problem) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfWeightSource.open(f).close());
        assertEquals(real(f), e.file(), e.getMessage());
        if (field != null) assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(problem), "message names the problem: " + e.getMessage());
        return e;
    }

    private static Path real(Path f) {
        try {
            return f.toRealPath();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String one(String dtype, String shape, String offsets) {
        return "{\"t\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
    }

    @Test
    void filesShorterThanTheLengthField() throws IOException {
        for (int n = 0; n < 8; n++) {
            Path f = Files.write(tmp.resolve("short" + n + ".safetensors"), new byte[n]);
            ModelFormatException e = expect(f, "header length", "8-byte");
            assertEquals(0, e.offset());
        }
    }

    @Test
    void headerLengthHugePastTheEndOrOverTheLimit() {
        Path f = tmp.resolve("x.safetensors");
        SafetensorsWriter.write(f, -1L, "{}".getBytes(), new byte[0]);
        expect(f, "header length", "18446744073709551615 is over");
        SafetensorsWriter.write(f, 100_000_001L, "{}".getBytes(), new byte[0]);
        expect(f, "header length", "over the 100000000 bytes");
        SafetensorsWriter.write(f, 1000, "{}".getBytes(), new byte[0]);
        expect(f, "header length", "past the end");
    }

    @Test
    void headerThatIsNotUtf8() {
        byte[] h = "{\"t\u00FF\":{}}".getBytes(StandardCharsets.ISO_8859_1);
        Path f = SafetensorsWriter.write(tmp.resolve("x.safetensors"), h.length, h, new byte[0]);
        ModelFormatException e = expect(f, "header", "UTF-8");
        assertEquals(8 + 3, e.offset(), "offset of the bad byte");
    }

    @Test
    void headerThatIsNotJsonOrNotAnObject() {
        broken("hello", new byte[0], "header", "malformed JSON");
        broken("[1, 2]", new byte[0], "header", "expected a JSON object");
        broken("{\"t\": ", new byte[0], "header", "malformed JSON");
        broken("{} {}", new byte[0], "header", "unexpected content after");
        broken("", new byte[0], "header", "expected a JSON object");
    }

    @Test
    void wrongJsonShapesOfAnEntry() {
        broken("{\"t\": 3}", EIGHT, "t", "expected {dtype, shape, data_offsets}");
        broken("{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", EIGHT, "t", "dtype is missing");
        broken(one("32", "[2]", "[0,8]"), EIGHT, "t", "dtype is missing or not a string");
        broken("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", EIGHT, "t", "shape is missing");
        broken(one("\"F32\"", "\"2\"", "[0,8]"), EIGHT, "t", "shape is missing or not an array");
        broken(one("\"F32\"", "[-2]", "[0,8]"), EIGHT, "t", "shape[0] must be a non-negative integer");
        broken(one("\"F32\"", "[2.5]", "[0,8]"), EIGHT, "t", "shape[0] must be a non-negative integer");
        broken(one("\"F32\"", "[2.0]", "[0,8]"), EIGHT, "t", "shape[0] must be a non-negative integer");
        broken(one("\"F32\"", "[\"2\"]", "[0,8]"), EIGHT, "t", "shape[0] must be a non-negative integer");
        broken(one("\"F32\"", "[99999999999999999999999]", "[0,8]"), EIGHT, "t", "non-negative integer");
        broken(one("\"F32\"", "[2]", "{}"), EIGHT, "t", "data_offsets is missing or not an array");
        broken(one("\"F32\"", "[2]", "[0,8,8]"), EIGHT, "t", "data_offsets must be [begin, end]");
        broken(one("\"F32\"", "[2]", "[-8,0]"), EIGHT, "t", "data_offsets[0] must be a non-negative integer");
        broken(one("\"F32\"", "[1,1,1,1,2]", "[0,8]"), EIGHT, "t", "at most 4");
    }

    @Test
    void errorsGiveTheOffsetOfTheEntry() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F99\"}}";
        ModelFormatException e = broken(header, new byte[4], "b", "unknown dtype \"F99\"");
        assertEquals(8 + header.indexOf("\"b\""), e.offset());
    }

    @Test
    void unknownDtypeIsMalformedAndKnownButUnsupportedIsTyped() {
        broken(one("\"F33\"", "[2]", "[0,8]"), EIGHT, "t", "unknown dtype");
        Path f = SafetensorsWriter.write(tmp.resolve("i64.safetensors"), one("\"I64\"", "[1]", "[0,8]"), EIGHT);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> HfWeightSource.open(f));
        assertTrue(e.getMessage().contains("tensor t has dtype I64") && e.getMessage().contains("F32, F16 and BF16"),
                e.getMessage());
    }

    @Test
    void offsetsThatDoNotTileTheData() {
        String two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]}}";
        ModelFormatException overlap = broken(two.formatted(0, 8, 4, 12), new byte[12], "b", "overlaps a");
        assertTrue(overlap.offset() > 0);
        broken(two.formatted(0, 8, 12, 20), new byte[20], "b", "gap of 4 bytes");
        broken(two.formatted(4, 12, 12, 20), new byte[20], "a", "gap of 4 bytes");
        broken(one("\"F32\"", "[2]", "[8,0]"), EIGHT, "t", "end before they begin");
        broken(one("\"F32\"", "[2]", "[0,8]"), new byte[4], "t", "run past the end");
        broken(one("\"F32\"", "[3]", "[0,8]"), EIGHT, "t", "needs 12");
        broken(one("\"F16\"", "[2]", "[0,8]"), EIGHT, "t", "hold 8 bytes but shape [2] of F16 needs 4");
        ModelFormatException trailing = broken(one("\"F32\"", "[2]", "[0,8]"), new byte[9], "data", "1 trailing bytes");
        assertEquals(real(trailing.file()).toFile().length() - 1, trailing.offset(), "offset of the first trailing byte");
    }

    @Test
    void shapeProductsThatOverflow() {
        broken(one("\"F32\"", "[4611686018427387904, 4]", "[0,8]"), EIGHT, "t", "overflows");
        broken(one("\"F32\"", "[2305843009213693952]", "[0,8]"), EIGHT, "t", "overflows");
    }

    @Test
    void duplicateNames() {
        String dup = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        broken(dup, EIGHT, "header", "Duplicate");
        // two names that translate to the same GGUF name
        String clash = "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"token_embd.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        broken(clash, EIGHT, "token_embd.weight", "duplicate tensor");
    }

    @Test
    void deeplyNestedJsonFailsWithoutStackOverflow() {
        String deep = "{\"__metadata__\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}";
        broken(deep, new byte[0], "header", "nesting depth");
        String deepObject = "{\"t\":" + "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_001);
        broken(deepObject, new byte[0], "header", "nesting depth");
    }

    @Test
    void tooManyTensors() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i <= SafetensorsFile.MAX_TENSORS; i++)
            sb.append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},");
        sb.setCharAt(sb.length() - 1, '}');
        broken(sb.toString(), new byte[0], "t" + SafetensorsFile.MAX_TENSORS, "more than 131072 tensors");
    }

    @Test
    void metadataMustBeStrings() {
        broken("{\"__metadata__\":{\"format\":1}}", new byte[0], "__metadata__.format", "expected a string");
        broken("{\"__metadata__\":[]}", new byte[0], "__metadata__", "expected an object of strings");
    }

    @Test
    void validEdgeCasesOpen() {
        // empty header, zero-size and scalar tensors, space padding: all legal
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,2]}}    ";
        Path f = SafetensorsWriter.write(tmp.resolve("ok.safetensors"), header, new byte[2]);
        try (HfWeightSource s = HfWeightSource.open(f)) {
            assertEquals(2, s.tensors().size());
            assertEquals("pt", s.metadata().string("safetensors.format").orElseThrow());
            assertEquals(1, s.tensor("s").orElseThrow().elements());
            assertEquals(0, s.tensor("z").orElseThrow().byteSize());
            assertTrue(s.config().isEmpty(), "no config.json beside it");
        }
        Path empty = SafetensorsWriter.write(tmp.resolve("empty.safetensors"), "{}", new byte[0]);
        try (HfWeightSource s = HfWeightSource.open(empty)) {
            assertTrue(s.tensors().isEmpty());
        }
    }

    /** Every truncation and every single-byte corruption of a valid file fails typed (or opens), never otherwise. */
    @Test
    void truncationsAndByteFlipsNeverCrash() throws IOException {
        Path good = HfModelBuilder.tinyLlama().write(tmp.resolve("m")).resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(good);
        int headerEnd = 8 + (int) java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        Path f = tmp.resolve("cut.safetensors");
        // every cut in the length field, then strides (each open maps and unmaps a shared arena: not free)
        for (int n = 0; n < bytes.length; n += n < 16 ? 1 : n < headerEnd + 16 ? 11 : 97) {
            Files.write(f, Arrays.copyOf(bytes, n));
            assertThrows(ModelFormatException.class, () -> HfWeightSource.open(f).close(), "cut at " + n);
        }
        for (int i = 0; i < headerEnd; i += i < 8 ? 1 : 5) {
            byte[] copy = bytes.clone();
            copy[i] ^= (byte) (i < 8 ? 0x80 : 0x5B);
            Files.write(f, copy);
            try {
                HfWeightSource.open(f).close();
            } catch (AirCelaException expected) {
                // typed: fine
            } catch (RuntimeException | Error e) {
                fail("byte " + i + " flipped: " + e, e);
            }
        }
    }
}
