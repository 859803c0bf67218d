package io.aircela.backend.cpu.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Sixteen keys' scores at once ({@link AttentionTask#scores16}) equal sixteen separate dots, bit for bit. */
class AttentionScoresTest {
    @Test
    void sixteenKeysAtOnceEqualSixteenDots() {
        Assumptions.assumeTrue(VectorWidth.ENABLED && VectorWidth.FLOATS.length() == 16, "needs 16 float lanes");
        int hd = 64, kvHeads = 3, kvStride = kvHeads * hd, keys = 16;
        Random random = new Random(23);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4L * keys * kvStride, 64);
            for (long i = 0; i < (long) keys * kvStride; i++) k.setAtIndex(WeightKernel.F32, i, random.nextFloat(-4f, 4f));
            float[] q = new float[hd];
            for (int d = 0; d < hd; d++) q[d] = random.nextFloat(-4f, 4f);
            for (int kvh = 0; kvh < kvHeads; kvh++) {
                float[] s = new float[keys + 3];
                AttentionTask.scores16(k, (long) kvh * hd, kvStride, q, hd, 0.125f, s, 3);
                for (int t = 0; t < keys; t++) {
                    float one = F32Kernel.dotVector(k, 4L * ((long) t * kvStride + (long) kvh * hd), q, 0, hd) * 0.125f;
                    assertEquals(Float.floatToRawIntBits(one), Float.floatToRawIntBits(s[3 + t]), "key " + t + ", kv head " + kvh);
                }
            }
        }
    }
}
