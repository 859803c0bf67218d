package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The prefill paths (several activation rows per weight row, {@link WeightKernel#dotRows}) give exactly the
 * results of one {@link WeightKernel#dot} per row, and the 512-bit Q8_0 kernel those of the int-lane one.
 */
class TiledKernelTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int COLS = 32 * 9;
    private final Random random = new Random(7);

    private MemorySegment blocks(Arena arena, int rows, int blockBytes) {
        byte[] bytes = new byte[rows * COLS / 32 * blockBytes];
        random.nextBytes(bytes);
        MemorySegment s = arena.allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, s, 0, bytes.length);
        for (int b = 0; b < rows * COLS / 32; b++) s.set(HALF, (long) b * blockBytes, Float.floatToFloat16(random.nextFloat(0.001f, 0.05f)));
        return s;
    }

    private Activations activations(int n) {
        Activations a = new Activations();
        a.reserve(n, COLS);
        for (int i = 0; i < n * COLS; i++) a.x[i] = random.nextFloat(-2f, 2f);
        a.prepare(Activations.Form.Q8_0);
        return a;
    }

    @Test
    void q4_0TilesAreBitIdenticalToRowByRow() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = blocks(arena, 3, 18);
            Activations a = activations(7);
            WeightKernel k = new Q4_0Kernel();
            float[] tmp = new float[COLS], out = new float[WeightKernel.ROWS_PER_TILE];
            for (int r = 0; r < 3; r++) {
                long off = (long) r * COLS / 32 * 18;
                for (int x = 0; x < 7; x += WeightKernel.ROWS_PER_TILE) {
                    int count = Math.min(WeightKernel.ROWS_PER_TILE, 7 - x);
                    k.dotRows(w, off, a, x, count, out, tmp);
                    for (int i = 0; i < count; i++)
                        assertEquals(k.dot(w, off, a, x + i, tmp), out[i], "weight row " + r + ", x row " + (x + i));
                }
            }
        }
    }

    @Test
    void q8_0ShortLaneKernelEqualsIntLaneKernel() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = blocks(arena, 2, 34);
            Activations a = activations(2);
            float[] acc = new float[8];
            for (int r = 0; r < 2; r++) {
                long off = (long) r * COLS / 32 * 34;
                float ints = Q8_0Kernel.dotVectorInts(w, off, a.qb, a.d, COLS, COLS, acc);
                assertEquals(ints, Q8_0Kernel.dotVector(w, off, a.qb, a.d, COLS, COLS, acc));
                assertEquals(ints, Q8_0Kernel.dotScalar(w, off, a.q, a.d, COLS, COLS, acc));
            }
        }
    }
}
