package io.aircela.engine.tokenizer;

import java.util.Arrays;

/** A growable list of primitive ints (token ids, segment lengths) without boxing. Not thread-safe. */
final class IntList {
    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, size * 2);
        values[size++] = v;
    }

    int get(int i) {
        assert i < size;
        return values[i];
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
