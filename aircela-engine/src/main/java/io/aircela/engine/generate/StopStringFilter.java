package io.aircela.engine.generate;

import java.util.List;

/**
 * Watches streamed text for stop strings. Text that could be the start of a stop string is held
 * back until it is clear that it is not; when a stop string appears, the text before it is released
 * and the rest is dropped. Not thread-safe.
 */
public final class StopStringFilter {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    /** A filter for these stop strings (empty strings are ignored). */
    public StopStringFilter(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Adds {@code text}; returns what can be released now. */
    public String accept(String text) {
        if (stopped) return "";
        held.append(text);
        int at = firstStop();
        if (at >= 0) {
            stopped = true;
            String out = held.substring(0, at);
            held.setLength(0);
            return out;
        }
        int keep = longestPossibleStart();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Whether a stop string was seen. */
    public boolean stopped() {
        return stopped;
    }

    /** Releases whatever was held back (the stream ended without a stop string). */
    public String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    private int firstStop() {
        int best = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    // Length of the longest suffix of the held text that is a proper prefix of some stop string.
    private int longestPossibleStart() {
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, held.length()); len > best; len--) {
                if (endsWith(s, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    private boolean endsWith(String stop, int len) {
        int from = held.length() - len;
        for (int i = 0; i < len; i++) if (held.charAt(from + i) != stop.charAt(i)) return false;
        return true;
    }
}
