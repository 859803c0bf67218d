package io.aircela.formats.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads the JSON of HF model folders (safetensors headers, {@code config.json}, shard indexes) as
 * untrusted input: strict UTF-8, duplicate keys rejected, nesting at most {@value #MAX_DEPTH} deep (no
 * stack overflow), at most {@value #MAX_BYTES} bytes, nothing after the root value. Thread-safe.
 */
final class HfJson {
    /** Largest JSON text read (also the largest safetensors header), as the reference implementation caps it. */
    static final int MAX_BYTES = 100_000_000;
    static final int MAX_DEPTH = 64;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxDocumentLength(MAX_BYTES)
                    .maxNumberLength(64)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private HfJson() {
    }

    /** A parser over {@code json}, after checking it is valid UTF-8. {@code base}: file offset of json[0]. */
    static JsonParser parser(Path file, String what, byte[] json, long base) {
        checkUtf8(file, what, json, base);
        try {
            return MAPPER.createParser(json);
        } catch (IOException e) {
            throw new ModelFormatException(file, what, base, "cannot parse JSON: " + e.getMessage(), e);
        }
    }

    /** Reads a whole JSON file (at most {@value #MAX_BYTES} bytes) as one tree. */
    static JsonNode readFile(Path file) {
        byte[] bytes = readBytes(file);
        try (JsonParser p = parser(file, "", bytes, 0)) {
            JsonNode root = p.readValueAsTree();
            if (root == null) throw new ModelFormatException(file, "", 0, "empty file; expected a JSON object");
            expectEnd(file, "", p, 0);
            return root;
        } catch (JacksonException e) {
            throw malformed(file, "", e, 0);
        } catch (IOException e) {
            throw new AirCelaException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Fails unless only whitespace follows the root value. */
    static void expectEnd(Path file, String what, JsonParser p, long base) throws IOException {
        if (p.nextToken() != null)
            throw new ModelFormatException(file, what, base + p.currentTokenLocation().getByteOffset(),
                    "unexpected content after the JSON value");
    }

    /** A Jackson syntax or limit error as a format error at the file offset where it happened. */
    static ModelFormatException malformed(Path file, String what, JacksonException e, long base) {
        JsonLocation at = e.getLocation();
        long offset = at == null || at.getByteOffset() < 0 ? -1 : base + at.getByteOffset();
        return new ModelFormatException(file, what, offset, "malformed JSON: " + e.getOriginalMessage(), e);
    }

    private static byte[] readBytes(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_BYTES)
                throw new ModelFormatException(file, "", -1, "JSON file of " + size + " bytes is larger than the "
                        + MAX_BYTES + " bytes accepted");
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining()) if (ch.read(buf) < 0) break;
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        } catch (IOException e) {
            throw new AirCelaException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Fails at the first byte that is not well-formed UTF-8 (Jackson only checks inside strings). */
    private static void checkUtf8(Path file, String what, byte[] bytes, long base) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isError())
                throw new ModelFormatException(file, what, base + in.position(), "not valid UTF-8 text; "
                        + "the JSON must be UTF-8");
            if (r.isUnderflow()) break;
            out.clear();
        }
    }
}
