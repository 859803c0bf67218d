package io.aircela.formats.safetensors;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class QkPermutationTest {
    @Test
    void matchesLlamaCppsReshapeSwapaxes() {
        // one head of width 4, one column: reshape(1, 2, 2, 1).swapaxes(1, 2) turns [a b c d] into [a c b d]
        assertArrayEquals(new float[]{0, 2, 1, 3}, QkPermutation.hfToGguf(new float[]{0, 1, 2, 3}, 4, 1, 1));
        // two heads of width 4, two columns: rows move within their head, columns travel with their row
        float[] hf = {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15, 6, 16, 7, 17};
        float[] gguf = {0, 10, 2, 12, 1, 11, 3, 13, 4, 14, 6, 16, 5, 15, 7, 17};
        assertArrayEquals(gguf, QkPermutation.hfToGguf(hf, 8, 2, 2));
        assertArrayEquals(hf, QkPermutation.ggufToHf(gguf, 8, 2, 2));
    }

    @Test
    void inverseOfEachOther() {
        Random r = new Random(3);
        float[] w = new float[32 * 5];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat();
        for (int heads : new int[]{1, 2, 4, 8, 16}) {
            assertArrayEquals(w, QkPermutation.ggufToHf(QkPermutation.hfToGguf(w, 32, 5, heads), 32, 5, heads));
            assertArrayEquals(w, QkPermutation.hfToGguf(QkPermutation.ggufToHf(w, 32, 5, heads), 32, 5, heads));
        }
    }

    @Test
    void rejectsShapesThatDoNotSplit() {
        assertThrows(IllegalArgumentException.class, () -> QkPermutation.hfToGguf(new float[12], 6, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> QkPermutation.hfToGguf(new float[12], 6, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> QkPermutation.hfToGguf(new float[11], 4, 3, 1));
    }
}
