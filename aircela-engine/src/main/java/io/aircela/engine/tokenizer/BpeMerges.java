package io.aircela.engine.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The merge table of a byte-level BPE vocabulary, indexed for speed: every string that can be a
 * symbol (tokens, merge parts, merge results) gets an int id (a token's id is its token id), and each
 * merge is found by the pair of ids in an open-addressing hash map. Equivalent to llama.cpp's
 * {@code bpe_ranks} map of string pairs, where the first occurrence of a pair keeps its rank.
 * Immutable after construction; thread-safe.
 */
final class BpeMerges {
    private static final long EMPTY = -1L;

    private final Vocabulary vocab;
    private final int vocabSize;
    /** Symbol ids of strings that are no token (tokens are looked up in the vocabulary). */
    private final Map<String, Integer> extraIds = new HashMap<>();
    /** Strings of the symbol ids at or above vocabSize (merge parts or results that are no token). */
    private final List<String> extra = new ArrayList<>();
    private final long[] keys;
    private final int[] ranks;
    /** Symbol id of the merged string, by rank. */
    private final int[] mergedByRank;
    private final int mask;
    /** Symbol id of each byte's byte-level char. */
    private final int[] byteSymbols = new int[256];

    BpeMerges(Vocabulary vocab) {
        this.vocab = vocab;
        String[] merges = vocab.merges;
        vocabSize = vocab.size();
        int capacity = Integer.highestOneBit(Math.max(16, merges.length * 2 - 1)) << 1;
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        mask = capacity - 1;
        mergedByRank = new int[merges.length];
        for (int rank = 0; rank < merges.length; rank++) {
            int space = merges[rank].indexOf(' ', 1);
            String left = merges[rank].substring(0, space);
            String right = merges[rank].substring(space + 1);
            mergedByRank[rank] = intern(left + right);
            put(key(intern(left), intern(right)), rank);
        }
        for (int b = 0; b < 256; b++) byteSymbols[b] = intern(ByteLevel.stringOf(b));
    }

    /** The symbol id of a string, creating one if the string is new (construction only). */
    private int intern(String s) {
        int token = vocab.idOf(s);
        if (token >= 0) return token;
        Integer id = extraIds.get(s);
        if (id != null) return id;
        int created = vocabSize + extra.size();
        extraIds.put(s, created);
        extra.add(s);
        return created;
    }

    /** The symbol of one input byte. */
    int byteSymbol(int b) {
        return byteSymbols[b & 0xFF];
    }

    /** Whether a symbol id is a vocabulary token (then the id is the token id). */
    boolean isToken(int symbol) {
        return symbol < vocabSize;
    }

    /** The string of a symbol id that is not a token. */
    String extraString(int symbol) {
        return extra.get(symbol - vocabSize);
    }

    /** The rank of merging {@code left} and {@code right}, or -1 when they do not merge. */
    int rank(int left, int right) {
        long k = key(left, right);
        for (int slot = slot(k); ; slot = (slot + 1) & mask) {
            if (keys[slot] == k) return ranks[slot];
            if (keys[slot] == EMPTY) return -1;
        }
    }

    /** The symbol the merge of this rank produces. */
    int merged(int rank) {
        return mergedByRank[rank];
    }

    private void put(long k, int rank) {
        for (int slot = slot(k); ; slot = (slot + 1) & mask) {
            if (keys[slot] == k) return; // a repeated pair keeps its first (best) rank, as emplace does
            if (keys[slot] == EMPTY) {
                keys[slot] = k;
                ranks[slot] = rank;
                return;
            }
        }
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }
}
