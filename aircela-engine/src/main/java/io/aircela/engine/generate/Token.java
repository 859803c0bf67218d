package io.aircela.engine.generate;

/**
 * One generated token.
 *
 * @param id   token id in the model's vocabulary
 * @param text the text this token releases to the stream: may be empty (an incomplete UTF-8
 *             sequence, or text held back because it could begin a stop string) and may carry text
 *             held back from earlier tokens. Concatenating every token's text gives the output.
 */
public record Token(int id, String text) {
}
