package io.aircela.engine;

import io.aircela.ContextOverflowException;
import io.aircela.UnsupportedModelException;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.Session;
import io.aircela.engine.generate.StopReason;
import io.aircela.engine.generate.Token;
import io.aircela.engine.model.Architectures;
import io.aircela.engine.sampling.SamplingOptions;
import io.aircela.quant.QuantType;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library API on stories260k (token ids only: no tokenizer needed). */
class EngineTest {
    // llama.cpp's tokens for "Once upon a time" (BOS first) and its greedy continuation's first 16 ids
    private static final int[] PROMPT = {1, 403, 407, 261, 378};
    private static final int[] GREEDY_16 = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337};

    private static Path stories() {
        return SharedTestData.require("models/stories260k.gguf");
    }

    private static EngineOptions options() {
        return EngineOptions.defaults().withThreads(2).withBackend(System.getProperty("aircela.test.backend"));
    }

    private static int[] ids(List<Token> tokens) {
        return tokens.stream().mapToInt(Token::id).toArray();
    }

    @Test
    void greedyGenerationFromIdsReproducesLlamaCpp() {
        try (AirCela engine = AirCela.open(stories(), options());
             Generation g = engine.generate(PROMPT, SamplingOptions.greedy(), 16, List.of())) {
            List<Token> out = new ArrayList<>();
            for (Token t : g) out.add(t);
            assertArrayEquals(GREEDY_16, ids(out));
            assertEquals(StopReason.LENGTH, g.stopReason());
            assertArrayEquals(PROMPT, g.promptTokens());
            assertEquals(5, g.timings().promptTokens());
            assertEquals(15, g.timings().decodeTokens());
            assertTrue(g.timings().promptMillis() > 0 && g.timings().decodeTokensPerSecond() > 0);
        }
    }

    @Test
    void decodingOneTokenAtATimeMatchesScoringAllAtOnce() {
        int[] all = Arrays.copyOf(PROMPT, PROMPT.length + 4);
        System.arraycopy(GREEDY_16, 0, all, PROMPT.length, 4);
        try (AirCela engine = AirCela.open(stories(), options())) {
            float[][] scored = engine.score(all);
            try (Session s = engine.newSession()) {
                float[] logits = s.append(PROMPT);
                assertClose(scored[PROMPT.length - 1], logits);
                for (int i = PROMPT.length; i < all.length; i++) {
                    logits = s.append(new int[]{all[i]});
                    assertClose(scored[i], logits);
                }
                assertEquals(all.length, s.position());
            }
        }
    }

    @Test
    void sessionKeepsTheCacheAcrossTurns() {
        try (AirCela engine = AirCela.open(stories(), options()); Session chat = engine.newSession()) {
            int[] first;
            try (Generation g = chat.generate(PROMPT, SamplingOptions.greedy(), 4, List.of())) {
                List<Token> out = new ArrayList<>();
                g.forEach(out::add);
                first = ids(out);
            }
            assertArrayEquals(Arrays.copyOf(GREEDY_16, 4), first);
            int before = chat.position();
            assertEquals(PROMPT.length + 3, before, "the last token is computed with the next turn");
            try (Generation g = chat.generate(new int[]{GREEDY_16[4]}, SamplingOptions.greedy(), 3, List.of())) {
                List<Token> out = new ArrayList<>();
                g.forEach(out::add);
                assertArrayEquals(Arrays.copyOfRange(GREEDY_16, 5, 8), ids(out), "continues as one sequence");
            }
            assertTrue(chat.position() > before);
        }
    }

    @Test
    void contextOverflowIsRejectedBeforeComputing() {
        try (AirCela engine = AirCela.open(stories(), options().withContextLength(8))) {
            assertEquals(8, engine.contextLength());
            assertThrows(ContextOverflowException.class, () -> engine.score(new int[9]));
            try (Session s = engine.newSession()) {
                s.append(new int[]{1, 2, 3, 4, 5, 6});
                assertThrows(ContextOverflowException.class, () -> s.append(new int[]{1, 2, 3}));
                assertEquals(6, s.position());
            }
        }
    }

    @Test
    void f16CacheGivesNearlyTheSameLogits() {
        float[][] f32, f16;
        try (AirCela engine = AirCela.open(stories(), options())) {
            f32 = engine.score(PROMPT);
        }
        try (AirCela engine = AirCela.open(stories(), options().withKvType(QuantType.F16))) {
            f16 = engine.score(PROMPT);
        }
        double max = 0;
        for (int i = 0; i < PROMPT.length; i++)
            for (int j = 0; j < f32[i].length; j++) max = Math.max(max, Math.abs(f32[i][j] - f16[i][j]));
        assertTrue(max > 0 && max < 0.05, "F16 cache rounding changes logits a little: " + max);
    }

    @Test
    void cancellingAndClosingFreesEverything() {
        AirCela engine = AirCela.open(stories(), options());
        Generation g = engine.generate(PROMPT, SamplingOptions.defaults().withSeed(7), 50, List.of());
        Iterator<Token> it = g.iterator();
        it.next();
        it.next();
        g.close();
        assertEquals(StopReason.CANCELLED, g.stopReason());
        Session open = engine.newSession();
        engine.close();
        engine.close(); // twice is harmless
        assertThrows(IllegalStateException.class, () -> engine.score(PROMPT));
        assertThrows(IllegalStateException.class, () -> engine.generate(PROMPT, SamplingOptions.greedy(), 1, List.of()));
        assertThrows(IllegalStateException.class, () -> open.append(PROMPT), "the engine closed its sessions");
        List<String> alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(n -> n.startsWith("aircela-")).toList();
        assertEquals(List.of(), alive, "no engine threads survive close");
    }

    @Test
    void unknownArchitectureNamesTheSupportedOnes() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> Architectures.forName("gpt2"));
        assertTrue(e.getMessage().contains("llama") && e.getMessage().contains("qwen2") && e.getMessage().contains("mistral"),
                e.getMessage());
    }

    @Test
    void vocabularyOnlyFileIsRefused() {
        Path vocab = SharedTestData.require("models/vocab/ggml-vocab-llama-spm.gguf");
        assertThrows(UnsupportedModelException.class, () -> AirCela.open(vocab, options()));
    }

    private static void assertClose(float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], 1e-3, "logit " + i);
    }
}
