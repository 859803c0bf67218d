package io.aircela.formats.safetensors;

/**
 * Converts q/k projection weights between HuggingFace's rotate-half row order ({@code NEOX} rope) and
 * the interleaved order llama.cpp's {@code convert_hf_to_gguf.py} writes for {@code llama} GGUF files
 * ({@code NORMAL} rope). llama.cpp's permute is
 * <pre>
 *   w.reshape(n_head, 2, rows / n_head / 2, cols).swapaxes(1, 2).reshape(rows, cols)
 * </pre>
 * i.e. within each head of width {@code hd}, GGUF row {@code 2i + j} is HF row {@code j * hd/2 + i}.
 * For k, pass the KV head count. Weights are row-major {@code [rows, cols]} (rows = output features);
 * a bias is the case {@code cols = 1}. Stateless and thread-safe; allocates only the returned array.
 */
public final class QkPermutation {
    private QkPermutation() {
    }

    /** HF order to GGUF order: what llama.cpp's converter does. */
    public static float[] hfToGguf(float[] w, int rows, int cols, int heads) {
        return permute(w, rows, cols, heads, true);
    }

    /** GGUF order back to HF order: the inverse of {@link #hfToGguf}. */
    public static float[] ggufToHf(float[] w, int rows, int cols, int heads) {
        return permute(w, rows, cols, heads, false);
    }

    private static float[] permute(float[] w, int rows, int cols, int heads, boolean toGguf) {
        if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0)
            throw new IllegalArgumentException(rows + " rows do not split into " + heads + " heads of even width");
        if ((long) rows * cols != w.length)
            throw new IllegalArgumentException("array of " + w.length + " floats is not " + rows + " x " + cols);
        int hd = rows / heads, half = hd / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++) {
                    int gguf = h * hd + 2 * i + j, hf = h * hd + j * half + i;
                    int from = toGguf ? hf : gguf, to = toGguf ? gguf : hf;
                    System.arraycopy(w, from * cols, out, to * cols, cols);
                }
        return out;
    }
}
