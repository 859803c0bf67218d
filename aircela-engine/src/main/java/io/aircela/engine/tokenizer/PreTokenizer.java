package io.aircela.engine.tokenizer;

import io.aircela.UnsupportedModelException;

import java.util.ArrayList;
import java.util.List;

/**
 * The byte-level BPE pre-tokenizers AirCELA reproduces, keyed by GGUF's {@code tokenizer.ggml.pre}, with
 * the regex lists and flags of llama.cpp's {@code llm_tokenizer_bpe} / {@code llama_vocab::impl::load}.
 * Pre-tokenizers whose llama.cpp patterns need more than {@link RegexSplitter} offers (non-ASCII
 * literals, {@code $} anchors, custom code) are not listed and are refused by name.
 */
enum PreTokenizer {
    /** No or "default" pre-tokenizer: llama.cpp's four-step fallback. */
    DEFAULT(false, false, List.of("default"),
            "[\\p{P}\\$\\+<=>\\^~\\|]+", RegexSplitter.GPT2, "\\p{N}+", "[0-9][0-9][0-9]"),
    /** Llama 3: merges are skipped for words that are whole tokens, and BOS is added. */
    LLAMA3(true, true, List.of("llama3", "llama-v3", "llama-bpe", "falcon3"), RegexSplitter.LLAMA3),
    /** Same split as Llama 3 without its two flags. */
    DBRX(false, false, List.of("dbrx", "smaug-bpe"), RegexSplitter.LLAMA3),
    GPT2(false, false, List.of("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es",
            "jina-v2-de", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais"), RegexSplitter.GPT2),
    QWEN2(false, false, List.of("qwen2", "stablelm2", "megrez"),
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    STARCODER(false, false, List.of("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"),
            "\\p{N}", RegexSplitter.GPT2),
    FALCON(false, false, List.of("falcon"), "[\\p{P}\\$\\+<=>\\^~\\|]+", RegexSplitter.GPT2, "[0-9][0-9][0-9]");

    private final boolean ignoreMerges;
    private final boolean addsBos;
    private final List<String> names;
    private final List<String> regexes;

    PreTokenizer(boolean ignoreMerges, boolean addsBos, List<String> names, String... regexes) {
        this.ignoreMerges = ignoreMerges;
        this.addsBos = addsBos;
        this.names = names;
        this.regexes = List.of(regexes);
    }

    /** The pre-tokenizer for a {@code tokenizer.ggml.pre} value; {@code null} or empty means DEFAULT. */
    static PreTokenizer forName(String name) {
        if (name == null || name.isEmpty()) return DEFAULT;
        for (PreTokenizer p : values()) {
            if (p.names.contains(name)) return p;
        }
        throw new UnsupportedModelException("tokenizer.ggml.pre = '" + name + "' is not a supported pre-tokenizer; "
                + "supported: " + String.join(", ", supportedNames()) + ". Convert the model with a supported "
                + "pre-tokenizer or use a model whose tokenizer is one of these.");
    }

    static List<String> supportedNames() {
        List<String> all = new ArrayList<>();
        for (PreTokenizer p : values()) all.addAll(p.names);
        return all;
    }

    /** Whether a word that is a whole vocabulary token skips the merges (llama.cpp's ignore_merges). */
    boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** llama.cpp's add_bos default for this pre-tokenizer (the GGUF key may override it). */
    boolean addsBos() {
        return addsBos;
    }

    List<String> regexes() {
        return regexes;
    }
}
