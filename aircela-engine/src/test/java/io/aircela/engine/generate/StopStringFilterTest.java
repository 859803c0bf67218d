package io.aircela.engine.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringFilterTest {
    @Test
    void holdsBackPossiblePrefixesAndStopsBeforeTheStopString() {
        StopStringFilter f = new StopStringFilter(List.of("</s>", "User:"));
        assertEquals("Hello", f.accept("Hello"));
        assertEquals(" wor", f.accept(" wor<"), "'<' may begin </s>");
        assertEquals("<x", f.accept("x"), "not a stop string after all");
        assertEquals("", f.accept("Us"));
        assertEquals("Us", f.accept("xy").substring(0, 2));
        assertEquals("", f.accept("User:"));
        assertTrue(f.stopped());
    }

    @Test
    void flushReleasesHeldTextWhenNoStopCame() {
        StopStringFilter f = new StopStringFilter(List.of("END"));
        assertEquals("a", f.accept("aEN"));
        assertFalse(f.stopped());
        assertEquals("EN", f.flush());
    }

    @Test
    void stopInsideOneChunk() {
        StopStringFilter f = new StopStringFilter(List.of("\n\n"));
        assertEquals("para", f.accept("para\n\nnext"));
        assertTrue(f.stopped());
        assertEquals("", f.accept("more"));
    }
}
