package io.aircela.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Turns a stream of generated token ids into text as it arrives. The text is the plain concatenation
 * of {@link Tokenizer#tokenBytes} decoded as UTF-8, which is what llama.cpp's examples print when they
 * stream pieces ({@code token_to_piece} with lstrip 0): no leading space is removed and no
 * clean-up of spaces is applied. A character whose bytes span several tokens (byte-fallback tokens,
 * byte-level BPE pieces) is held back until complete, so {@link #accept} never returns half a
 * character; bytes that can never form a character become U+FFFD.
 *
 * <p>Not thread-safe: one decoder per generation stream.
 */
public final class TokenDecoder {
    private final Tokenizer tokenizer;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** Bytes not yet decoded: at most the start of one incomplete character between calls. */
    private byte[] pending = new byte[0];

    public TokenDecoder(Tokenizer tokenizer) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /** Adds a token; returns the text it completes (possibly empty, never a broken character). */
    public String accept(int id) {
        byte[] bytes = tokenizer.tokenBytes(id);
        if (bytes.length == 0) return "";
        byte[] all = Arrays.copyOf(pending, pending.length + bytes.length);
        System.arraycopy(bytes, 0, all, pending.length, bytes.length);
        return decode(all, false);
    }

    /** Ends the stream: returns whatever is held back, invalid bytes as U+FFFD, and resets the decoder. */
    public String flush() {
        String rest = decode(pending, true);
        utf8.reset();
        pending = new byte[0];
        return rest;
    }

    private String decode(byte[] bytes, boolean endOfInput) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        utf8.decode(in, out, endOfInput);
        if (endOfInput) utf8.flush(out);
        pending = Arrays.copyOfRange(bytes, in.position(), bytes.length);
        return out.flip().toString();
    }
}
