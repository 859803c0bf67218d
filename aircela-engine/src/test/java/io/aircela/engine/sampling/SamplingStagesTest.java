package io.aircela.engine.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingStagesTest {
    private static Candidates of(float... logits) {
        Candidates c = new Candidates(logits.length);
        c.reset(logits);
        return c;
    }

    private static int[] ids(Candidates c) {
        int[] out = new int[c.size()];
        for (int i = 0; i < out.length; i++) out[i] = c.id(i);
        return out;
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeOncePerToken() {
        float[] logits = {2f, -2f, 3f, 1f};
        boolean[] seen = new boolean[4];
        SamplingStages.repetitionPenalty(logits, new int[]{0, 1, 0, 0}, 4, 2f, seen);
        assertArrayEquals(new float[]{1f, -4f, 3f, 1f}, logits);
        for (boolean b : seen) assertTrue(!b, "scratch left clean");
    }

    @Test
    void argmaxTakesLowestIdOnTies() {
        assertEquals(1, SamplingStages.argmax(new float[]{1f, 5f, 5f, 2f}));
    }

    @Test
    void topKKeepsTheKLargestInOrder() {
        Candidates c = of(0.1f, 3f, -1f, 2f, 2.5f);
        SamplingStages.topK(c, 3);
        assertArrayEquals(new int[]{1, 4, 3}, ids(c));
        assertEquals(3f, c.logit(0));
        assertEquals(2f, c.logit(2));
    }

    @Test
    void topKSortsNegativeLogitsCorrectly() {
        Candidates c = of(-3f, -0.5f, -10f, -1f);
        SamplingStages.topK(c, 0);
        assertArrayEquals(new int[]{1, 3, 0, 2}, ids(c));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // probabilities ~ 0.665, 0.245, 0.090
        Candidates c = of((float) Math.log(0.665), (float) Math.log(0.245), (float) Math.log(0.090));
        SamplingStages.topP(c, 0.8f, 1);
        assertArrayEquals(new int[]{0, 1}, ids(c));
        Candidates d = of((float) Math.log(0.665), (float) Math.log(0.245), (float) Math.log(0.090));
        SamplingStages.topP(d, 0.5f, 1);
        assertArrayEquals(new int[]{0}, ids(d));
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        Candidates c = of((float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.04), (float) Math.log(0.16));
        SamplingStages.minP(c, 0.1f, 1); // threshold 0.05: drops 0.04
        assertArrayEquals(new int[]{0, 1, 3}, ids(c));
    }

    @Test
    void temperatureScalesLogits() {
        Candidates c = of(1f, 2f);
        SamplingStages.temperature(c, 0.5f);
        assertEquals(2f, c.logit(0));
        assertEquals(4f, c.logit(1));
    }

    @Test
    void drawFollowsTheCumulativeDistribution() {
        Candidates c = of(0f, 0f, (float) Math.log(2)); // probs 0.25, 0.25, 0.5
        assertEquals(0, SamplingStages.draw(c, 0.1));
        assertEquals(1, SamplingStages.draw(c, 0.4));
        assertEquals(2, SamplingStages.draw(c, 0.9));
    }

    @Test
    void samplerIsReproducibleWithASeedAndGreedyAtTemperatureZero() {
        float[] logits = new float[100];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i * 0.37) * 3;
        SamplingOptions o = SamplingOptions.defaults().withSeed(42).withTemperature(1.5f).withTopK(0).withMinP(0).withTopP(1);
        Sampler a = new Sampler(o, 100), b = new Sampler(o, 100);
        int[] sa = new int[50], sb = new int[50];
        for (int i = 0; i < 50; i++) {
            sa[i] = a.sample(logits);
            sb[i] = b.sample(logits);
        }
        assertArrayEquals(sa, sb);
        assertNotEquals(1, java.util.Arrays.stream(sa).distinct().count(), "a hot sampler varies");
        Sampler g = new Sampler(SamplingOptions.greedy(), 100);
        assertEquals(SamplingStages.argmax(logits), g.sample(logits));
    }

    @Test
    void samplerPenalizesRecentTokens() {
        float[] logits = {5f, 4.9f, 0f};
        Sampler s = new Sampler(SamplingOptions.greedy().withRepeatPenalty(1.5f, 2), 3);
        s.accept(0);
        assertEquals(1, s.sample(logits), "token 0 penalized: 5/1.5 < 4.9");
        s.accept(2);
        s.accept(2); // token 0 left the window of 2
        assertEquals(0, s.sample(logits));
    }

    @Test
    void optionsValidateAndDefaultLikeLlamaCpp() {
        SamplingOptions d = SamplingOptions.defaults();
        assertEquals(0.8f, d.temperature());
        assertEquals(40, d.topK());
        assertEquals(0.95f, d.topP());
        assertEquals(0.05f, d.minP());
        assertEquals(1.0f, d.repeatPenalty());
        assertEquals(64, d.repeatLastN());
        assertThrows(IllegalArgumentException.class, () -> d.withTemperature(-1));
        assertTrue(SamplingOptions.greedy().isGreedy());
    }
}
