package io.aircela;

import java.nio.file.Path;

/**
 * A model, config or tokenizer file is malformed. Names the file, the field or tensor at
 * fault, and the byte offset where the problem was found ({@code -1} when not applicable).
 */
public class ModelFormatException extends AirCelaException {
    private final Path file;
    private final String field;
    private final long offset;

    public ModelFormatException(Path file, String field, long offset, String problem) {
        super(format(file, field, offset, problem));
        this.file = file;
        this.field = field;
        this.offset = offset;
    }

    public ModelFormatException(Path file, String field, long offset, String problem, Throwable cause) {
        super(format(file, field, offset, problem), cause);
        this.file = file;
        this.field = field;
        this.offset = offset;
    }

    private static String format(Path file, String field, long offset, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<unknown file>" : file.toString());
        if (field != null && !field.isEmpty()) sb.append(": ").append(field);
        if (offset >= 0) sb.append(" at byte ").append(offset);
        sb.append(": ").append(problem);
        return sb.toString();
    }

    /** The file at fault, or {@code null} when unknown. */
    public Path file() {
        return file;
    }

    /** The metadata key, tensor name or structural field at fault (e.g. {@code "header.version"}). */
    public String field() {
        return field;
    }

    /** Byte offset in the file where the problem was found, or {@code -1}. */
    public long offset() {
        return offset;
    }
}
