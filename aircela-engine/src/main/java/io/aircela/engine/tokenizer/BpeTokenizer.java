package io.aircela.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Byte-level BPE as llama.cpp's {@code llm_tokenizer_bpe}: the pre-tokenizer splits the text into
 * words, each word's UTF-8 bytes start as one symbol per byte, and adjacent symbols merge by the lowest
 * merge rank (ties: leftmost) until no pair merges. With ignore_merges (Llama 3) a word that is itself a
 * token is emitted whole. Immutable and thread-safe; each word works on its own arrays.
 */
final class BpeTokenizer extends VocabTokenizer {
    private final BpeMerges merges;
    private final RegexSplitter splitter;
    private final boolean ignoreMerges;

    BpeTokenizer(Vocabulary vocab, Path file) {
        super(vocab, file);
        this.merges = new BpeMerges(vocab);
        this.splitter = new RegexSplitter(vocab.pre.regexes());
        this.ignoreMerges = vocab.pre.ignoreMerges();
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        int[] cpts = text.codePoints().toArray();
        int at = 0;
        for (int len : splitter.split(cpts)) {
            encodeWord(new String(cpts, at, len).getBytes(StandardCharsets.UTF_8), out);
            at += len;
        }
    }

    private void encodeWord(byte[] word, IntList out) {
        if (ignoreMerges) {
            int whole = vocab.idOf(ByteLevel.encode(word, 0, word.length));
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int n = word.length;
        int[] sym = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] dead = new boolean[n];
        LongHeap queue = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            sym[i] = merges.byteSymbol(word[i]);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i > 0) addBigram(sym, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            long entry = queue.poll();
            int rank = (int) (entry >>> 32);
            int left = (int) entry;
            int right = next[left];
            // stale unless both symbols are as they were: then their pair still has this rank
            if (dead[left] || right < 0 || merges.rank(sym[left], sym[right]) != rank) continue;
            sym[left] = merges.merged(rank);
            dead[right] = true;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) addBigram(sym, prev[left], left, queue);
            if (next[left] >= 0) addBigram(sym, left, next[left], queue);
        }
        for (int i = n == 0 ? -1 : 0; i != -1; i = next[i]) emit(sym[i], out);
    }

    private void addBigram(int[] sym, int left, int right, LongHeap queue) {
        int rank = merges.rank(sym[left], sym[right]);
        if (rank >= 0) queue.add(((long) rank << 32) | left); // lowest rank first, then leftmost
    }

    /** A final symbol: its token, or (llama.cpp's fallback) each of its bytes that is a one-char token. */
    private void emit(int symbol, IntList out) {
        if (merges.isToken(symbol)) {
            out.add(symbol);
            return;
        }
        for (byte b : merges.extraString(symbol).getBytes(StandardCharsets.UTF_8)) {
            int id = b >= 0 ? vocab.idOf(String.valueOf((char) b)) : -1;
            if (id >= 0) out.add(id);
        }
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (printsNothing(id)) return new byte[0];
        if (vocab.has(id, TokenAttr.USER_DEFINED)) return vocab.pieces[id].getBytes(StandardCharsets.UTF_8);
        if (vocab.has(id, TokenAttr.NORMAL)) return ByteLevel.decode(vocab.pieces[id]);
        return new byte[0]; // unused, byte and undefined tokens print nothing in llama.cpp's BPE either
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] heap;
        private int size;

        LongHeap(int capacity) {
            heap = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(long v) {
            if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
            int i = size++;
            while (i > 0 && heap[(i - 1) / 2] > v) {
                heap[i] = heap[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            heap[i] = v;
        }

        long poll() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            while (2 * i + 1 < size) {
                int child = 2 * i + 1;
                if (child + 1 < size && heap[child + 1] < heap[child]) child++;
                if (heap[child] >= last) break;
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }
}
