package io.aircela.quant.iq4nl;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bit-for-bit comparison with ggml's own {@code dequantize_row_iq4_nl} on random bytes, through FFM.
 * Runs only with {@code -Daircela.ggml.base=/path/libggml-base.so} (or {@code AIRCELA_GGML_BASE}).
 */
class IQ4_NLGgmlCrossCheckTest {
    @Test
    void matchesGgmlBitForBit() throws Throwable {
        String p = System.getProperty("aircela.ggml.base", System.getenv("AIRCELA_GGML_BASE"));
        Assumptions.assumeTrue(p != null && Files.isRegularFile(Path.of(p)), "no libggml-base.so given; skipping");
        int blocks = 5000, n = 32 * blocks;
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle ggml = Linker.nativeLinker().downcallHandle(
                    SymbolLookup.libraryLookup(Path.of(p), arena).findOrThrow("dequantize_row_iq4_nl"),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            byte[] bytes = new byte[18 * blocks];
            new Random(4).nextBytes(bytes);
            MemorySegment src = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, src, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment out = arena.allocate(4L * n, 4);
            ggml.invokeExact(src, out, (long) n);
            float[] ours = new float[n];
            new IQ4_NLDequantizer().dequantize(src, 0, ours, 0, n);
            for (int i = 0; i < n; i++) {
                float ref = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                if (Float.floatToRawIntBits(ref) != Float.floatToRawIntBits(ours[i]) && !(Float.isNaN(ref) && Float.isNaN(ours[i])))
                    fail("weight " + i + ": ggml " + ref + ", ours " + ours[i]);
            }
        }
    }
}
