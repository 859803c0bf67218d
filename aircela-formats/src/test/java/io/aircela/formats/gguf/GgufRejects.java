package io.aircela.formats.gguf;

import io.aircela.ModelFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Asserts that the reader rejects a file with a {@link ModelFormatException} naming the right field and offset. */
final class GgufRejects {
    /** Pass as the offset when the problem has no single byte position (e.g. a missing key). */
    static final long ANY_OFFSET = Long.MIN_VALUE;

    private GgufRejects() {
    }

    static ModelFormatException rejects(Path file, byte[] bytes, String field, long offset) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufWeightSource.open(file).close());
        assertEquals(file, e.file());
        assertTrue(e.field() != null && e.field().contains(field), "field '" + e.field() + "' should name " + field
                + "; message: " + e.getMessage());
        assertTrue(e.getMessage().contains(field), e.getMessage());
        if (offset != ANY_OFFSET) assertEquals(offset, e.offset(), "offset in: " + e.getMessage());
        return e;
    }

    static ModelFormatException rejects(Path file, GgufBuilder b, String field, long offset) {
        return rejects(file, b.build(), field, offset);
    }

    static void assertMentions(ModelFormatException e, String... words) {
        for (String w : words) assertTrue(e.getMessage().contains(w), "'" + w + "' missing from: " + e.getMessage());
    }
}
