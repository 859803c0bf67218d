package io.aircela.backend.cpu.internal;

import io.aircela.compute.Op;
import io.aircela.quant.QuantType;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The grouped attention (one unit per query row and KV head, the group's query heads sharing each K/V row) equals the
 * per-head attention bit for bit: several heads/kvHeads ratios (1 included), head sizes that are and are not
 * multiples of the vector width, prompts that start past 0, F32 and F16 caches.
 */
class AttentionGroupTest {
    private static float[] attend(boolean grouped, Op.Attention op, MemorySegment q, MemorySegment k, MemorySegment v,
                                  QuantType cache, Arena arena, int workers) {
        long size = (long) op.n() * op.heads() * op.headDim();
        MemorySegment out = arena.allocate(4 * size, 64);
        int keys = op.startPos() + op.n();
        float[][] scores = new float[workers][keys], query = new float[workers][op.headDim()], acc = new float[workers][op.headDim()];
        AttentionTask task = new AttentionTask(scores, query, acc);
        task.set(op, q, k, v, out, cache);
        task.setGrouped(grouped);
        int units = task.units();
        // uneven pieces across the workers' scratch, as a pool would hand them out
        for (int from = 0, w = 0; from < units; w = (w + 1) % workers) {
            int to = Math.min(units, from + 1 + (from * 7 + 3) % 5);
            task.run(from, to, w);
            from = to;
        }
        task.clear();
        return out.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
    }

    private static void check(int heads, int kvHeads, int hd, int n, int startPos, QuantType cache, long seed) {
        Random random = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            int keys = startPos + n, kvDim = kvHeads * hd;
            MemorySegment q = arena.allocate(4L * n * heads * hd, 64);
            for (long i = 0; i < (long) n * heads * hd; i++) q.setAtIndex(WeightKernel.F32, i, random.nextFloat(-3f, 3f));
            long kv = (long) keys * kvDim;
            int bytes = cache == QuantType.F16 ? 2 : 4;
            MemorySegment k = arena.allocate(bytes * kv, 64), v = arena.allocate(bytes * kv, 64);
            for (long i = 0; i < kv; i++) {
                float a = random.nextFloat(-2f, 2f), b = random.nextFloat(-2f, 2f);
                if (cache == QuantType.F16) {
                    k.setAtIndex(WeightKernel.F16, i, Float.floatToFloat16(a));
                    v.setAtIndex(WeightKernel.F16, i, Float.floatToFloat16(b));
                } else {
                    k.setAtIndex(WeightKernel.F32, i, a);
                    v.setAtIndex(WeightKernel.F32, i, b);
                }
            }
            Op.Attention op = new Op.Attention(null, null, null, null, n, startPos, heads, kvHeads, hd,
                    (float) (1 / Math.sqrt(hd)));
            float[] perHead = attend(false, op, q, k, v, cache, arena, 1);
            float[] grouped = attend(true, op, q, k, v, cache, arena, 3);
            for (int i = 0; i < perHead.length; i++) {
                int row = i / (heads * hd), head = i / hd % heads, d = i % hd;
                assertEquals(Float.floatToRawIntBits(perHead[i]), Float.floatToRawIntBits(grouped[i]),
                        () -> heads + "/" + kvHeads + " heads, hd " + hd + ", n " + n + ", startPos " + startPos + ", "
                                + cache + ": row " + row + " head " + head + " lane " + d);
            }
        }
    }

    @Test
    void groupedEqualsPerHeadBitForBit() {
        int[][] shapes = { // heads, kvHeads, headDim
                {32, 4, 64}, {8, 1, 64}, {12, 12, 64}, {9, 3, 64}, {10, 2, 64}, {12, 2, 128}, {6, 2, 48}, {4, 4, 40},
                {6, 3, 24}, {7, 1, 20}, {14, 2, 16}};
        int[][] runs = {{1, 0}, {1, 37}, {5, 0}, {17, 3}, {33, 0}, {40, 21}}; // n, startPos
        long seed = 1;
        for (int[] s : shapes)
            for (int[] r : runs)
                for (QuantType cache : new QuantType[]{QuantType.F32, QuantType.F16})
                    check(s[0], s[1], s[2], r[0], r[1], cache, seed++);
    }
}
