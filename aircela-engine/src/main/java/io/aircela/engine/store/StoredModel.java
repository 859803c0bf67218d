package io.aircela.engine.store;

import java.nio.file.Path;

/**
 * A model found in a store, as {@code aircela list} shows it.
 *
 * @param name   the name that opens it with {@code -m} ({@code llama3.2:1b}, {@code org/name@main})
 * @param store  {@code ollama} or {@code huggingface}
 * @param format {@code gguf} or {@code safetensors}
 * @param bytes  size on disk of its weights in bytes, or -1 when unknown
 * @param quant  weight type as the store says ({@code Q4_K_M}, {@code bfloat16}), empty when unknown
 * @param path   the file or folder {@code -m name} resolves to
 */
public record StoredModel(String name, String store, String format, long bytes, String quant, Path path) {
}
