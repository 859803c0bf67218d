package io.aircela.engine.golden;

import io.aircela.engine.AirCela;
import io.aircela.engine.EngineOptions;
import io.aircela.engine.generate.Generation;
import io.aircela.engine.generate.StopReason;
import io.aircela.engine.generate.Token;
import io.aircela.engine.sampling.SamplingOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Text in, text out: greedy generation reproduces llama.cpp's continuation on stories260k. */
class GoldenGenerationTest {

    private static EngineOptions options() {
        return EngineOptions.defaults().withThreads(2).withBackend(System.getProperty("aircela.test.backend"));
    }

    @Test
    void greedyStoryMatchesLlamaCppText() throws IOException {
        GoldenCase g = GoldenCase.load("stories260k-once-upon-a-time.json");
        try (AirCela engine = AirCela.open(g.model(), options());
             Generation gen = engine.generate(g.prompt(), SamplingOptions.greedy(), g.generatedIds().length)) {
            StringBuilder text = new StringBuilder();
            List<Integer> ids = new ArrayList<>();
            for (Token t : gen) {
                text.append(t.text());
                ids.add(t.id());
            }
            assertArrayEquals(g.promptIds(), gen.promptTokens(), "prompt tokenization");
            assertArrayEquals(g.generatedIds(), ids.stream().mapToInt(Integer::intValue).toArray());
            assertEquals(g.generatedText(), text.toString());
            assertEquals(StopReason.LENGTH, gen.stopReason());
        }
    }

    @Test
    void stopStringEndsTheTextBeforeIt() throws IOException {
        GoldenCase g = GoldenCase.load("stories260k-once-upon-a-time.json");
        try (AirCela engine = AirCela.open(g.model(), options());
             Generation gen = engine.generate(g.prompt(), SamplingOptions.greedy(), 64, List.of("Lily."))) {
            StringBuilder text = new StringBuilder();
            for (Token t : gen) text.append(t.text());
            assertEquals(StopReason.STOP, gen.stopReason());
            assertEquals(", there was a little girl named ", text.toString());
            assertEquals(text.toString(), gen.text());
        }
    }
}
