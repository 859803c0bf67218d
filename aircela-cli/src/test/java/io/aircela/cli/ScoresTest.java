package io.aircela.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ScoresTest {
    @Test
    void topKIsLargestFirstWithTiesByLowerId() {
        float[] logits = {1f, 5f, 3f, 5f, -2f, 4f};
        assertArrayEquals(new int[]{1, 3, 5}, Scores.topK(logits, 3));
        assertArrayEquals(new int[]{1, 3, 5, 2, 0, 4}, Scores.topK(logits, 6));
        assertArrayEquals(new int[]{1, 3, 5, 2, 0, 4}, Scores.topK(logits, 100));
        assertArrayEquals(new int[]{1}, Scores.topK(logits, 1));
    }

    @Test
    void logSoftmaxMatchesTheDefinitionAndSurvivesLargeLogits() {
        float[] logits = {0f, 1f, 2f};
        double z = Math.exp(0) + Math.exp(1) + Math.exp(2);
        assertEquals(Math.log(Math.exp(1) / z), Scores.logSoftmax(logits, 1), 1e-12);
        float[] big = {1000f, 1000f};
        assertEquals(Math.log(0.5), Scores.logSoftmax(big, 0), 1e-12);
    }

    @Test
    void perplexityIsExpOfMeanNegativeLogprob() {
        Scores s = new Scores(new int[3], new int[3][], new float[3][], new double[]{Math.log(0.5), Math.log(0.25)});
        assertEquals(Math.exp(-(Math.log(0.5) + Math.log(0.25)) / 2), s.perplexity(), 1e-12);
    }
}
