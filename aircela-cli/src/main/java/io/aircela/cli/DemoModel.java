package io.aircela.cli;

import io.aircela.formats.gguf.GgufWriter;
import io.aircela.formats.quant.Q4_0Quantizer;
import io.aircela.quant.QuantType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A synthetic Llama of a known size with seeded random Q4_0 weights and a byte-level vocabulary, so
 * the demo needs no download: every run writes the same bytes. The text it generates is gibberish;
 * what it shows is speed under a memory budget.
 *
 * <p>Vocabulary: {@code <unk>}, {@code <s>}, {@code </s>}, then the 256 byte tokens {@code <0x00>} ..
 * {@code <0xFF>} (SentencePiece byte fallback spells any text with them). Weights: uniform with
 * standard deviation 0.02, norms 1; the output head's row for {@code </s>} is zero, so greedy decoding
 * does not stop early and every run decodes as many tokens as asked.
 *
 * @param size    the name ({@code tiny}, {@code 1b}, {@code 7b})
 * @param dim     embedding length
 * @param layers  transformer blocks
 * @param heads   query heads
 * @param kvHeads key/value heads
 * @param ffn     feed-forward length
 */
record DemoModel(String size, int dim, int layers, int heads, int kvHeads, int ffn) {
    static final int VOCAB = 259;
    static final int EOS = 2;
    private static final float STD = 0.02f;
    private static final long SEED = 0x5EED_A1C3L;

    /** The model of that size name; tiny is for tests. */
    static DemoModel of(String size) {
        return switch (size) {
            case "tiny" -> new DemoModel(size, 64, 2, 4, 2, 128);
            case "1b" -> new DemoModel(size, 2048, 22, 32, 4, 5632);  // TinyLlama 1.1B's shape
            case "7b" -> new DemoModel(size, 4096, 32, 32, 32, 11008); // Llama 2 7B's shape
            default -> throw new IllegalArgumentException("unknown demo size " + size + "; expected 1b or 7b");
        };
    }

    /** The cached file for this size in {@code cacheDir}. */
    Path file(Path cacheDir) {
        return cacheDir.resolve("demo-" + size + "-q4_0.gguf");
    }

    /** The user's cache folder for AirCELA: {@code $XDG_CACHE_HOME/aircela}, else {@code ~/.cache/aircela}. */
    static Path defaultCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("aircela");
    }

    /** A writer holding the whole model: metadata, vocabulary, and every tensor's generator. */
    GgufWriter writer() {
        int headDim = dim / heads, kvDim = headDim * kvHeads;
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "aircela-demo-" + size + " (random weights)")
                .putU32("general.file_type", 2) // LLAMA_FTYPE_MOSTLY_Q4_0
                .putU32("general.alignment", 32)
                .putU32("llama.vocab_size", VOCAB)
                .putU32("llama.context_length", 2048)
                .putU32("llama.embedding_length", dim)
                .putU32("llama.block_count", layers)
                .putU32("llama.feed_forward_length", ffn)
                .putU32("llama.attention.head_count", heads)
                .putU32("llama.attention.head_count_kv", kvHeads)
                .putU32("llama.rope.dimension_count", headDim)
                .putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putF32("llama.rope.freq_base", 10000f);
        vocabulary(w);
        w.addTensor("token_embd.weight", QuantType.Q4_0, new long[]{dim, VOCAB}, random("token_embd.weight", dim, -1));
        for (int i = 0; i < layers; i++) {
            String p = "blk." + i + ".";
            w.addTensor(p + "attn_norm.weight", QuantType.F32, new long[]{dim}, ones(dim));
            matrix(w, p + "attn_q.weight", dim, dim);
            matrix(w, p + "attn_k.weight", dim, kvDim);
            matrix(w, p + "attn_v.weight", dim, kvDim);
            matrix(w, p + "attn_output.weight", dim, dim);
            w.addTensor(p + "ffn_norm.weight", QuantType.F32, new long[]{dim}, ones(dim));
            matrix(w, p + "ffn_gate.weight", dim, ffn);
            matrix(w, p + "ffn_up.weight", dim, ffn);
            matrix(w, p + "ffn_down.weight", ffn, dim);
        }
        w.addTensor("output_norm.weight", QuantType.F32, new long[]{dim}, ones(dim));
        w.addTensor("output.weight", QuantType.Q4_0, new long[]{dim, VOCAB}, random("output.weight", dim, EOS));
        return w;
    }

    private static void vocabulary(GgufWriter w) {
        String[] tokens = new String[VOCAB];
        int[] types = new int[VOCAB];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[EOS] = "</s>";
        types[0] = 2; // unknown
        types[1] = 3; // control
        types[EOS] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6; // byte
        }
        w.putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", tokens)
                .putF32s("tokenizer.ggml.scores", new float[VOCAB])
                .putI32s("tokenizer.ggml.token_type", types)
                .putU32("tokenizer.ggml.bos_token_id", 1)
                .putU32("tokenizer.ggml.eos_token_id", EOS)
                .putU32("tokenizer.ggml.unknown_token_id", 0)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putBool("tokenizer.ggml.add_eos_token", false);
    }

    private static void matrix(GgufWriter w, String name, int cols, int rows) {
        w.addTensor(name, QuantType.Q4_0, new long[]{cols, rows}, random(name, cols, -1));
    }

    private static GgufWriter.Content ones(int n) {
        return (first, rows, out) -> {
            for (int i = 0; i < rows * n; i++) out.putFloat(1f);
        };
    }

    /**
     * Rows of uniform weights quantized to Q4_0; each row is seeded from the tensor's name and its index,
     * so the bytes do not depend on chunking or threads. Row {@code zeroRow} (if ≥ 0) is all zeros.
     */
    private static GgufWriter.Content random(String name, int cols, int zeroRow) {
        long nameSeed = SEED ^ ((long) name.hashCode() << 32);
        int rowBytes = Math.toIntExact(QuantType.Q4_0.byteSize(cols));
        float half = STD * (float) Math.sqrt(3); // uniform on [-half, half] has standard deviation STD
        return (first, rows, out) -> {
            int at = out.position();
            IntStream.range(0, rows).parallel().forEach(r -> {
                long row = first + r;
                float[] x = new float[cols];
                if (row != zeroRow) {
                    SplittableRandom rng = new SplittableRandom(nameSeed + row * 0x9E3779B97F4A7C15L);
                    for (int j = 0; j < cols; j++) x[j] = (float) rng.nextDouble(-half, half);
                }
                ByteBuffer slice = out.slice(at + r * rowBytes, rowBytes).order(ByteOrder.LITTLE_ENDIAN);
                Q4_0Quantizer.quantizeRow(x, 0, cols, slice);
            });
            out.position(at + rows * rowBytes);
        };
    }

    /** A line for people: shape, parameters and file size. */
    String describe(long fileBytes) {
        long params = (long) VOCAB * dim * 2 + (long) layers * (2L * dim * dim + 2L * dim * (dim / heads * kvHeads)
                + 3L * dim * ffn + 2L * dim) + dim;
        return String.format(java.util.Locale.ROOT, "synthetic Llama %s: %d layers, dim %d, ffn %d, %d/%d heads,"
                        + " %.2f B parameters, Q4_0, %.0f MiB, byte-level vocabulary of %d tokens", size, layers, dim, ffn,
                heads, kvHeads, params / 1e9, fileBytes / 1048576.0, VOCAB);
    }
}
