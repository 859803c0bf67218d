package io.aircela.formats.gguf;

import io.aircela.formats.quant.Q4_0Dequantizer;
import io.aircela.formats.quant.Q4_0Quantizer;
import io.aircela.quant.QuantType;
import io.aircela.weights.Metadata;
import io.aircela.weights.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link GgufWriter} writes, the reader's {@link GgufHeaderParser} reads back: metadata, shapes, types, aligned bytes. */
class GgufWriterTest {

    @Test
    void metadataAndTensorsRoundTrip(@TempDir Path dir) throws IOException {
        float[] weights = new float[64 * 5];
        Random r = new Random(7);
        for (int i = 0; i < weights.length; i++) weights[i] = (float) r.nextGaussian();
        float[] norm = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f};
        GgufWriter w = new GgufWriter()
                .putString("general.name", "writer test")
                .putU32("general.alignment", 64)
                .putU32("test.count", 1)
                .putF32("test.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putStrings("tokenizer.ggml.tokens", new String[]{"<unk>", "ä", "<0x0A>"})
                .putF32s("tokenizer.ggml.scores", new float[]{0f, -1f, -2.5f})
                .putI32s("tokenizer.ggml.token_type", new int[]{2, 1, 6})
                .addTensor("norm", QuantType.F32, new long[]{8}, (first, rows, out) -> {
                    for (float f : norm) out.putFloat(f);
                })
                .addTensor("blk.0.w", QuantType.Q4_0, new long[]{64, 5},
                        (first, rows, out) -> {
                            for (int row = 0; row < rows; row++)
                                Q4_0Quantizer.quantizeRow(weights, (int) (first + row) * 64, 64, out);
                        });
        Path file = dir.resolve("w.gguf");
        List<Long> progress = new ArrayList<>();
        w.write(file, (bytes, total) -> progress.add(bytes));
        assertFalse(Files.exists(dir.resolve("w.gguf.part")), "the partial file is moved into place");
        assertEquals(w.fileBytes(), progress.getLast());
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            assertEquals(w.fileBytes(), ch.size());
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            GgufHeaderParser.Header h = new GgufHeaderParser(file, seg).parse();
            assertEquals(3, h.version());
            assertEquals(64, h.alignment());
            Metadata m = new Metadata(h.metadata());
            assertEquals("writer test", m.string("general.name").orElseThrow());
            assertEquals(1L, m.integer("test.count").orElseThrow());
            assertEquals(10000.0, m.number("test.freq_base").orElseThrow());
            assertTrue(m.bool("tokenizer.ggml.add_bos_token").orElseThrow());
            assertArrayEquals(new String[]{"<unk>", "ä", "<0x0A>"}, (String[]) m.get("tokenizer.ggml.tokens").orElseThrow());
            assertArrayEquals(new float[]{0f, -1f, -2.5f}, (float[]) m.get("tokenizer.ggml.scores").orElseThrow());
            assertArrayEquals(new long[]{2, 1, 6}, (long[]) m.get("tokenizer.ggml.token_type").orElseThrow());
            assertEquals(2, h.tensors().size());

            TensorInfo n = h.tensors().get(0);
            assertEquals("norm", n.name());
            assertEquals(QuantType.F32, n.type());
            MemorySegment nv = seg.asSlice(n.offset(), n.byteSize());
            for (int i = 0; i < norm.length; i++) assertEquals(norm[i], nv.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));

            TensorInfo q = h.tensors().get(1);
            assertEquals("blk.0.w", q.name());
            assertEquals(QuantType.Q4_0, q.type());
            assertArrayEquals(new long[]{64, 5}, q.shape());
            assertEquals(0, q.offset() % 64, "tensor data aligned to general.alignment");
            assertEquals(w.fileBytes(), q.end());
            float[] back = new float[weights.length];
            new Q4_0Dequantizer().dequantize(seg.asSlice(q.offset(), q.byteSize()), 0, back, 0, back.length);
            // half a step of d = amax / 8 from rounding, or a whole step where the far end clips at quant 15
            for (int b = 0; b < weights.length; b += 32) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(weights[b + j]));
                for (int j = 0; j < 32; j++)
                    assertEquals(weights[b + j], back[b + j], amax / 8 * 1.01 + 1e-3, "weight " + (b + j));
            }
        }
    }

    @Test
    void quantizerIsGgmlsReference() {
        // one block: max magnitude -4 at index 3 -> d = 0.5, so x/d + 8.5 truncated gives the quants below
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = (j - 16) * 0.25f;
        x[3] = -4f;
        ByteBuffer out = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        Q4_0Quantizer.quantizeRow(x, 0, 32, out);
        assertEquals(0.5f, Float.float16ToFloat(out.getShort(0)));
        int[] q = new int[32];
        for (int j = 0; j < 16; j++) {
            q[j] = out.get(2 + j) & 0xF;
            q[j + 16] = (out.get(2 + j) >> 4) & 0xF;
        }
        for (int j = 0; j < 32; j++) assertEquals(Math.min(15, (int) (x[j] / 0.5f + 8.5f)), q[j], "quant " + j);
        assertEquals(0, q[3]);
    }

    @Test
    void contentThatWritesTooLittleFailsAndLeavesNoFile(@TempDir Path dir) {
        GgufWriter w = new GgufWriter().addTensor("t", QuantType.F32, new long[]{4}, (first, rows, out) -> out.putFloat(1f));
        Path file = dir.resolve("bad.gguf");
        assertThrows(IllegalStateException.class, () -> w.write(file, (b, t) -> { }));
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(dir.resolve("bad.gguf.part")));
    }
}
