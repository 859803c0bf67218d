package io.aircela.engine.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.ModelFormatException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A HuggingFace {@code tokenizer.json} as a {@link Tokenizer}: encoding runs in HuggingFace's own Rust
 * tokenizers (through DJL, strictly offline: see {@link DjlTokenizers}), so text splits exactly as
 * {@code transformers} splits it. BOS/EOS follow {@code tokenizer_config.json}: {@code add_bos_token},
 * {@code add_eos_token}, {@code bos_token}, {@code eos_token}; where the config says nothing, whatever the
 * tokenizer's post-processor adds (e.g. Llama's {@code <s>} template) is taken as the rule. End of
 * generation: EOS, the ids of {@code generation_config.json}'s {@code eos_token_id}, and the special
 * end-of-turn tokens llama.cpp also stops at ({@code <|eot_id|>}, {@code <|im_end|>}, ...).
 *
 * <p>{@code parseSpecial = false} (llama.cpp's default for user text: {@code "<s>"} typed in a prompt is
 * three ordinary tokens) is done with a second native tokenizer, made on first use from the same JSON
 * without its special added tokens, since HuggingFace's tokenizers always extract added tokens.
 *
 * <p>Output bytes per token are derived from the vocabulary as llama.cpp's {@code token_to_piece} does:
 * byte-level vocabularies (GPT-2, Llama 3, Qwen) map their byte chars back to bytes; SentencePiece-style
 * ones give {@code <0xNN>} byte-fallback tokens as that byte and {@code ▁} as a space; special tokens give
 * nothing.
 *
 * <p>Owns a native tokenizer: {@link #close()} frees it (twice is harmless; afterwards {@link #encode}
 * throws {@link IllegalStateException}). Immutable otherwise; encode is thread-safe (the Rust tokenizer is),
 * but close must not race with it.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
    /** Most token ids a vocabulary may use. */
    static final int MAX_VOCAB = 1 << 24;
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "<|end_of_text|>");

    private final HuggingFaceTokenizer djl;
    /** tokenizer.json without its special added tokens, for {@code parseSpecial = false}; null when it has none. */
    private final String plainJson;
    private final Path file;
    private HuggingFaceTokenizer plain;
    private final HfVocabulary vocab;
    private final Path configFile;
    private final int bosId, eosId;
    private final boolean addsBos, addsEos;
    private final BitSet endOfGeneration;
    private volatile boolean closed;

    private HfTokenizer(HuggingFaceTokenizer djl, String plainJson, Path file, HfVocabulary vocab, Path configFile,
                        JsonNode config, JsonNode generation) {
        this.djl = djl;
        this.plainJson = plainJson;
        this.file = file;
        this.vocab = vocab;
        this.configFile = configFile;
        int[] probe = templateIds();
        this.bosId = idOf(config, "bos_token", probe[0]);
        this.eosId = idOf(config, "eos_token", probe[1]);
        this.addsBos = flag(config, "add_bos_token", probe[0] >= 0) && bosId >= 0;
        this.addsEos = flag(config, "add_eos_token", probe[1] >= 0) && eosId >= 0;
        this.endOfGeneration = endOfGeneration(generation);
    }

    /** Whether {@code folder} holds a {@code tokenizer.json} (then {@link #open} reads it). */
    public static boolean isPresent(Path folder) {
        return TokenizerFiles.hasTokenizer(folder);
    }

    /**
     * Reads the tokenizer of the HF model folder {@code folder}.
     *
     * @throws ModelFormatException         a tokenizer file malformed (names the file and key)
     * @throws io.aircela.AirCelaException  the native library cannot load here (says what to do)
     */
    public static HfTokenizer open(Path folder) {
        Path file = TokenizerFiles.find(folder, TokenizerFiles.TOKENIZER);
        if (file == null)
            throw new ModelFormatException(folder.resolve(TokenizerFiles.TOKENIZER), "", -1, "missing");
        String text = TokenizerFiles.readText(file);
        JsonNode root = TokenizerFiles.parseObject(file, text);
        HfVocabulary vocab = HfVocabulary.read(file, root);
        String plainJson = HfVocabulary.withoutSpecialAddedTokens(root);
        Path configFile = TokenizerFiles.find(folder, TokenizerFiles.CONFIG);
        JsonNode config = configFile == null ? null
                : TokenizerFiles.parseObject(configFile, TokenizerFiles.readText(configFile));
        JsonNode generation = TokenizerFiles.readOptional(folder, TokenizerFiles.GENERATION);
        HuggingFaceTokenizer djl = DjlTokenizers.load(text, file);
        try {
            return new HfTokenizer(djl, plainJson, file, vocab, configFile, config, generation);
        } catch (RuntimeException e) {
            djl.close();
            throw e;
        }
    }

    /** The ids the post-processor puts before and after a text ({@code -1} for none): its BOS/EOS rule. */
    private int[] templateIds() {
        int[] plain = ids(djl.encode("a", false, false));
        int[] with = ids(djl.encode("a", true, false));
        int lead = -1, trail = -1;
        if (with.length > plain.length && with.length > 0) {
            if (with[0] != plain[0]) lead = with[0];
            if (with[with.length - 1] != plain[plain.length - 1]) trail = with[with.length - 1];
        }
        return new int[] {lead, trail};
    }

    /** The id of the token {@code config[key]} names (a string or {@code {"content": ...}}), else {@code fallback}. */
    private int idOf(JsonNode config, String key, int fallback) {
        JsonNode v = config == null ? null : config.get(key);
        if (v != null && v.isObject()) v = v.get("content");
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual())
            throw new ModelFormatException(configFile, key, -1, "expected a token text, found "
                    + v.getNodeType());
        int id = vocab.idOf(v.textValue());
        if (id < 0)
            throw new ModelFormatException(configFile, key, -1, "names \"" + v.textValue()
                    + "\", which tokenizer.json does not define");
        return id;
    }

    private boolean flag(JsonNode config, String key, boolean fallback) {
        JsonNode v = config == null ? null : config.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean())
            throw new ModelFormatException(configFile, key, -1, "expected true or false, found "
                    + v.getNodeType());
        return v.booleanValue();
    }

    private BitSet endOfGeneration(JsonNode generation) {
        BitSet eog = new BitSet(vocab.size());
        if (eosId >= 0) eog.set(eosId);
        JsonNode ids = generation == null ? null : generation.get("eos_token_id");
        for (JsonNode id : ids == null ? List.<JsonNode>of() : ids.isArray() ? ids : List.of(ids))
            if (id.isIntegralNumber() && id.canConvertToInt() && id.intValue() >= 0 && id.intValue() < vocab.size())
                eog.set(id.intValue());
        for (String text : EOG_TEXTS) {
            int id = vocab.idOf(text);
            if (id >= 0 && vocab.isSpecial(id)) eog.set(id);
        }
        return eog;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        HuggingFaceTokenizer t = parseSpecial || plainJson == null ? djl : plain();
        if (closed) throw new IllegalStateException("tokenizer is closed");
        int[] body = ids(t.encode(text, false, false));
        boolean bos = addSpecial && addsBos, eos = addSpecial && addsEos;
        if (!bos && !eos) return body;
        int[] out = new int[body.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
        if (bos) out[0] = bosId;
        System.arraycopy(body, 0, out, bos ? 1 : 0, body.length);
        if (eos) out[out.length - 1] = eosId;
        return out;
    }

    private synchronized HuggingFaceTokenizer plain() {
        if (closed) throw new IllegalStateException("tokenizer is closed");
        if (plain == null) plain = DjlTokenizers.load(plainJson, file);
        return plain;
    }

    private static int[] ids(Encoding e) {
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public byte[] tokenBytes(int id) {
        return vocab.bytes(id).clone();
    }

    @Override
    public String piece(int id) {
        return vocab.piece(id);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && endOfGeneration.get(id);
    }

    @Override
    public boolean addsBos() {
        return addsBos;
    }

    /** Whether {@code encode} with {@code addSpecial} appends EOS ({@code add_eos_token}). */
    public boolean addsEos() {
        return addsEos;
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        HuggingFaceTokenizer second;
        synchronized (this) {
            if (closed) return;
            closed = true;
            second = plain;
        }
        djl.close();
        if (second != null) second.close();
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + vocab.size() + " tokens, bos " + bosId + (addsBos ? " added" : "") + ", eos " + eosId
                + ", " + Arrays.toString(endOfGeneration.stream().limit(8).toArray()) + " end generation]";
    }
}
