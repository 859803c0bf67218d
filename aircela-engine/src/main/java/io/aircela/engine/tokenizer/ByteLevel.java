package io.aircela.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * GPT-2's byte-level alphabet ({@code bytes_to_unicode}): every byte is shown as one printable code point,
 * so a byte-level BPE vocabulary is a set of strings over 256 "byte chars". Bytes {@code !..~},
 * {@code ¡..¬} and {@code ®..ÿ} stand for themselves; the other 68 map to U+0100 onwards in byte order.
 * Immutable tables; thread-safe.
 */
final class ByteLevel {
    private static final int[] BYTE_TO_CPT = new int[256];
    private static final int[] CPT_TO_BYTE = new int[512]; // -1 where a code point stands for no byte
    private static final String[] BYTE_TO_STRING = new String[256];

    static {
        Arrays.fill(CPT_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CPT[b] = printable ? b : 256 + n++;
            CPT_TO_BYTE[BYTE_TO_CPT[b]] = b;
            BYTE_TO_STRING[b] = new String(Character.toChars(BYTE_TO_CPT[b]));
        }
    }

    private ByteLevel() {
    }

    /** The byte char standing for byte {@code b} (0..255). */
    static int charOf(int b) {
        return BYTE_TO_CPT[b & 0xFF];
    }

    /** {@link #charOf} as a one-char string. */
    static String stringOf(int b) {
        return BYTE_TO_STRING[b & 0xFF];
    }

    /** The byte a byte char stands for, or -1. */
    static int byteOf(int cpt) {
        return cpt >= 0 && cpt < CPT_TO_BYTE.length ? CPT_TO_BYTE[cpt] : -1;
    }

    /** UTF-8 bytes shown in the byte-level alphabet (what llama.cpp's unicode_byte_encoding_process does). */
    static String encode(byte[] utf8, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        for (int i = from; i < to; i++) sb.appendCodePoint(charOf(utf8[i]));
        return sb.toString();
    }

    /**
     * Bytes of a byte-level token, as llama.cpp's {@code llama_decode_text}: a code point outside the
     * alphabet becomes the text {@code [UNK_BYTE_0x<its utf-8 in hex><whole token>]}, as there.
     */
    static byte[] decode(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        token.codePoints().forEach(cpt -> {
            int b = byteOf(cpt);
            if (b >= 0) {
                out.write(b);
            } else {
                byte[] utf8 = new String(Character.toChars(cpt)).getBytes(StandardCharsets.UTF_8);
                String text = "[UNK_BYTE_0x" + HexFormat.of().formatHex(utf8) + token + "]";
                out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }
}
