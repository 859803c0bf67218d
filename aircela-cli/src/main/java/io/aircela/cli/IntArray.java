package io.aircela.cli;

import java.util.Arrays;

/** A growable int array (token ids as they arrive), without boxing. Not thread-safe. */
final class IntArray {
    private int[] values = new int[64];
    private int size;

    void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, size * 2);
        values[size++] = v;
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
