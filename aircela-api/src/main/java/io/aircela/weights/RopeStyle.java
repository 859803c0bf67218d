package io.aircela.weights;

/**
 * How rotary position embedding pairs the dimensions of a head.
 * <ul>
 *   <li>{@code NORMAL}: adjacent pairs {@code (x[2i], x[2i+1])} — llama.cpp's choice for {@code llama} GGUF
 *       files, whose converter permuted the q/k weights for it;</li>
 *   <li>{@code NEOX}: half-split pairs {@code (x[i], x[i + d/2])} — HuggingFace's rotate-half, and llama.cpp's
 *       choice for {@code qwen2}.</li>
 * </ul>
 */
public enum RopeStyle {
    NORMAL,
    NEOX
}
