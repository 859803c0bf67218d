package io.aircela.engine.tokenizer;

import io.aircela.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE as llama.cpp's {@code llm_tokenizer_spm}: spaces become {@code ▁} (U+2581), a
 * {@code ▁} is prefixed where add_space_prefix applies, then adjacent symbols (starting from single code
 * points) are merged, always the pair whose joined text is the vocabulary token with the highest score
 * (ties: leftmost). Symbols left that are no token are emitted as byte tokens {@code <0xNN>}.
 * Immutable and thread-safe; each call works on its own arrays.
 */
final class SpmTokenizer extends VocabTokenizer {
    private static final char SPACE_MARK = '\u2581';

    /** Token id of each byte value for the byte fallback, or the unknown token. */
    private final int[] byteTokens = new int[256];
    /** For BYTE-type tokens, the byte they stand for; -1 otherwise. */
    private final int[] byteValue;

    SpmTokenizer(Vocabulary vocab, Path file) {
        super(vocab, file);
        byteValue = new int[vocab.size()];
        for (int id = 0; id < vocab.size(); id++) {
            byteValue[id] = vocab.has(id, TokenAttr.BYTE) ? parseByteToken(id) : -1;
        }
        for (int b = 0; b < 256; b++) byteTokens[b] = byteToToken(b);
    }

    private int parseByteToken(int id) {
        String p = vocab.pieces[id];
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>'
                || Character.digit(p.charAt(3), 16) < 0 || Character.digit(p.charAt(4), 16) < 0) {
            throw new ModelFormatException(file, VocabularyReader.TOKENS, -1, "token " + id + " '" + p
                    + "' has type byte but is not of the form <0xNN>");
        }
        return Integer.parseInt(p.substring(3, 5), 16);
    }

    /** llama.cpp's byte_to_token: {@code <0xNN>}, else the byte as a one-char token, else unknown. */
    private int byteToToken(int b) {
        int id = vocab.idOf(String.format("<0x%02X>", b));
        if (id < 0 && b < 0x80) id = vocab.idOf(String.valueOf((char) b));
        return id >= 0 ? id : vocab.unk;
    }

    @Override
    void encodeText(String fragment, boolean afterSpecial, IntList out) {
        String text = (vocab.addSpacePrefix && afterSpecial ? " " + fragment : fragment).replace(' ', SPACE_MARK);
        new Session(text).tokenize(out);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (printsNothing(id)) return new byte[0];
        if (vocab.has(id, TokenAttr.USER_DEFINED)) return vocab.pieces[id].getBytes(StandardCharsets.UTF_8);
        if (vocab.has(id, TokenAttr.NORMAL)) {
            return vocab.pieces[id].replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
        }
        if (vocab.has(id, TokenAttr.BYTE)) return new byte[] {(byte) byteValue[id]};
        return new byte[0]; // unused and undefined tokens print nothing in llama.cpp either
    }

    /** One tokenization: symbols are {@code [start, start + len)} char ranges of the text, linked as a list. */
    private final class Session {
        private final String text;
        private final int[] start;
        private final int[] len;
        private final int[] prev;
        private final int[] next;
        private final PriorityQueue<Bigram> queue = new PriorityQueue<>();

        private record Bigram(int left, int right, float score, int size) implements Comparable<Bigram> {
            @Override
            public int compareTo(Bigram o) { // highest score first, then leftmost
                int c = Float.compare(o.score, score);
                return c != 0 ? c : Integer.compare(left, o.left);
            }
        }

        Session(String text) {
            this.text = text;
            int n = text.codePointCount(0, text.length());
            start = new int[n];
            len = new int[n];
            prev = new int[n];
            next = new int[n];
            for (int i = 0, at = 0; i < n; i++) {
                start[i] = at;
                len[i] = Character.charCount(text.codePointAt(at));
                at += len[i];
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
        }

        void tokenize(IntList out) {
            for (int i = 1; i < start.length; i++) tryAddBigram(i - 1, i);
            while (!queue.isEmpty()) {
                Bigram b = queue.poll();
                // skip pairs that an earlier merge consumed or extended
                if (len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.size) continue;
                len[b.left] += len[b.right];
                len[b.right] = 0;
                next[b.left] = next[b.right];
                if (next[b.right] >= 0) prev[next[b.right]] = b.left;
                tryAddBigram(prev[b.left], b.left);
                tryAddBigram(b.left, next[b.left]);
            }
            for (int i = start.length == 0 ? -1 : 0; i != -1; i = next[i]) emit(i, out);
        }

        private void tryAddBigram(int left, int right) {
            if (left < 0 || right < 0) return;
            int size = len[left] + len[right];
            int id = vocab.idOf(text.substring(start[left], start[left] + size));
            if (id < 0) return;
            queue.add(new Bigram(left, right, vocab.scores[id], size));
        }

        /**
         * A final symbol: its token, or its bytes. (llama.cpp's resegment also consults a reverse-merge
         * map, but every merged symbol is a token by construction, so only single code points fall back.)
         */
        private void emit(int i, IntList out) {
            String symbol = text.substring(start[i], start[i] + len[i]);
            int id = vocab.idOf(symbol);
            if (id >= 0) {
                out.add(id);
                return;
            }
            for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                int t = byteTokens[b & 0xFF];
                if (t >= 0) out.add(t);
            }
        }
    }
}
