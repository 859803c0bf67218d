package io.aircela.engine.store;

import io.aircela.ConfigurationException;

import java.util.regex.Pattern;

/**
 * Checks the parts of model names before they become file names: each part is letters, digits,
 * {@code . _ -}, starts with a letter or digit (so never {@code .} or {@code ..}) and is at most
 * {@value #MAX_PART} characters; no separators, no absolute paths, no control characters. Stateless.
 */
final class ModelNames {
    static final int MAX_PART = 128;
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}");

    private ModelNames() {
    }

    /** {@code part} if it is a safe name part; otherwise a ConfigurationException naming {@code what} in {@code name}. */
    static String part(String name, String what, String part) {
        if (part == null || !PART.matcher(part).matches() || part.contains(".."))
            throw invalid(name, what + " \"" + (part == null ? "" : printable(part)) + "\" must be 1-" + MAX_PART
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit, without \"..\"");
        return part;
    }

    /** A registry host such as {@code registry.ollama.ai} or {@code hf.co}. */
    static String host(String name, String host) {
        if (!HOST.matcher(host).matches() || host.contains(".."))
            throw invalid(name, "host \"" + printable(host) + "\" is not a host name");
        return host.toLowerCase(java.util.Locale.ROOT);
    }

    static ConfigurationException invalid(String name, String problem) {
        return new ConfigurationException("\"" + printable(name) + "\" is not a model file, folder or valid model name: "
                + problem + ". Give a path, an Ollama name (llama3.2:1b, library/llama3.2:latest, hf.co/org/repo:Q4_K_M) "
                + "or a HuggingFace repo id (org/name, org/name@revision)");
    }

    /** {@code s} with control characters shown as {@code \\uXXXX}, cut to 200 characters. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (Character.isISOControl(c)) sb.append(String.format("\\u%04x", c));
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }
}
