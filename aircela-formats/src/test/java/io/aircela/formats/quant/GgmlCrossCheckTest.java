package io.aircela.formats.quant;

import io.aircela.formats.gguf.GgufWeightSource;
import io.aircela.quant.Dequantizer;
import io.aircela.tck.SharedTestData;
import io.aircela.weights.TensorInfo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bit-for-bit comparison with ggml itself: calls the real {@code dequantize_row_*} of a
 * {@code libggml-base.so} through the FFM API on random blocks and on every tensor of the synthetic
 * models. Runs only when {@code -Daircela.ggml.base=/path/libggml-base.so} (or {@code AIRCELA_GGML_BASE})
 * is set, e.g. the library that {@code ../shared/tools/llamacpp-ref/setup.sh} installs; skips otherwise.
 */
class GgmlCrossCheckTest {

    private static Path library() {
        String p = System.getProperty("aircela.ggml.base", System.getenv("AIRCELA_GGML_BASE"));
        Assumptions.assumeTrue(p != null && Files.isRegularFile(Path.of(p)),
                "set -Daircela.ggml.base=/path/to/libggml-base.so to compare with ggml itself; skipping");
        return Path.of(p);
    }

    /** ggml's symbol: dequantize_row_q4_0, dequantize_row_q6_K, ggml_fp16_to_fp32_row, ggml_bf16_to_fp32_row. */
    private static String symbol(String type) {
        return switch (type) {
            case "F16" -> "ggml_fp16_to_fp32_row";
            case "BF16" -> "ggml_bf16_to_fp32_row";
            default -> "dequantize_row_" + type.toLowerCase(Locale.ROOT).replace("_k", "_K");
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void matchesGgmlBitForBit(String type) throws Throwable {
        Path lib = library();
        Dequantizer d = io.aircela.provider.Providers.dequantizer(type);
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle ggml = Linker.nativeLinker().downcallHandle(
                    SymbolLookup.libraryLookup(lib, arena).findOrThrow(symbol(type)),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            // random bytes: every bit pattern of quants and scales (NaN/Inf included: both must agree on those too)
            int blocks = d.blockSize() == 1 ? 65536 : 2000;
            MemorySegment src = arena.allocate((long) blocks * d.bytesPerBlock());
            byte[] rnd = new byte[(int) src.byteSize()];
            new Random(42).nextBytes(rnd);
            MemorySegment.copy(rnd, 0, src, ValueLayout.JAVA_BYTE, 0, rnd.length);
            compare(ggml, d, src, blocks * d.blockSize(), arena, "random blocks");

            Path model = SharedTestData.require("models/synth/tiny-" + type.toLowerCase(Locale.ROOT) + ".gguf");
            try (GgufWeightSource s = GgufWeightSource.open(model)) {
                for (TensorInfo t : s.tensors()) {
                    if (!t.type().name().equals(type)) continue;
                    MemorySegment copy = arena.allocate(t.byteSize());
                    MemorySegment.copy(s.view(t), 0, copy, 0, t.byteSize());
                    compare(ggml, d, copy, (int) t.elements(), arena, t.name());
                }
            }
        }
    }

    private static void compare(MethodHandle ggml, Dequantizer d, MemorySegment src, int n, Arena arena, String what)
            throws Throwable {
        MemorySegment out = arena.allocate(4L * n, 4);
        ggml.invokeExact(src, out, (long) n);
        float[] ours = new float[n];
        d.dequantize(src, 0, ours, 0, n);
        for (int i = 0; i < n; i++) {
            float ref = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            boolean same = Float.floatToRawIntBits(ref) == Float.floatToRawIntBits(ours[i])
                    || (Float.isNaN(ref) && Float.isNaN(ours[i])); // NaN payloads may differ by platform
            if (!same) fail(d.typeName() + " " + what + ": weight " + i + " ggml " + ref + " ours " + ours[i]);
        }
        assertEquals(n, ours.length);
    }
}
