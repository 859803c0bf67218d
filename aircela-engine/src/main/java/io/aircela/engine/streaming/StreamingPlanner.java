package io.aircela.engine.streaming;

import io.aircela.engine.model.ModelTensors;
import io.aircela.engine.model.WeightSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides the {@link StreamingPlan} for a model under a memory budget. Pure arithmetic over the
 * tensors' sizes: nothing is read or allocated.
 *
 * <p>Rule: when everything fits, everything stays resident. Otherwise the LM head is the first to stay
 * resident (used every token), then as many layers as fit next to {@code depth + 1} slots of the
 * largest streamed stage. Which layers: spread evenly over the model rather than the first ones, so
 * every streamed layer's load overlaps the compute of the resident layers around it. With a resident
 * prefix instead, the loader could run ahead only {@code depth} layers during the resident part and
 * the streamed part would then wait for each load: where I/O and compute take about as long, that
 * costs a third of the overlap (measured: 1.2-1.3× max(I/O, compute) per token against ~1.05×).
 * Automatic depth tries 2, then 1, then 0 (never deeper than the number of streamed stages): two loads
 * in flight already overlap reading with computing, and every extra slot costs a layer that could
 * have stayed resident.
 */
public final class StreamingPlanner {
    /** Depths the automatic choice tries, best first. */
    private static final int[] AUTO_DEPTHS = {2, 1, 0};

    private StreamingPlanner() {
    }

    /**
     * The sizes a plan is made from.
     *
     * @param tensors         the model's weights as the backend takes them
     * @param layers          transformer layers
     * @param reader          how streamed stages would be read (its alignment pads regions)
     * @param modelBytes      bytes of every tensor in the file
     * @param budgetBytes     the budget ({@code Long.MAX_VALUE} = unlimited)
     * @param budgetGiven     whether the user gave it
     * @param depth           requested prefetch depth, or -1 for automatic
     * @param kvBytes         one sequence's KV cache
     * @param activationBytes one sequence's activations
     * @param note            carried into the plan (e.g. why O_DIRECT is off), or empty
     */
    public record Inputs(ModelTensors tensors, int layers, TensorReader reader, long modelBytes, long budgetBytes,
                         boolean budgetGiven, int depth, long kvBytes, long activationBytes, String note) {
    }

    /**
     * The plan for {@code in}.
     *
     * @throws BudgetTooSmallException when the budget cannot hold even the minimum, naming it
     */
    public static StreamingPlan plan(Inputs in) {
        StageLayout[] layouts = layouts(in.tensors(), in.layers(), in.reader());
        long fixed = Math.addExact(Math.addExact(in.kvBytes(), in.activationBytes()), globalBytes(in.tensors()));
        List<Integer> order = new ArrayList<>();
        if (layouts[in.layers()] != null) order.add(in.layers()); // the head: used every token
        for (int i = 0; i < in.layers(); i++) order.add(i);
        long all = fixed;
        for (int id : order) all = Math.addExact(all, layouts[id].bytes());
        if (all <= in.budgetBytes()) return resident(in, fixed, all - fixed);
        int[] depths = in.depth() < 0 ? AUTO_DEPTHS : new int[]{in.depth()};
        long minimum = Long.MAX_VALUE;
        for (int depth : depths) {
            StreamingPlan p = streamed(in, layouts, order, fixed, depth, in.depth() < 0);
            if (p.minimumBudget() <= in.budgetBytes()) return p;
            minimum = Math.min(p.minimumBudget(), all); // deep slots may cost more than keeping everything
        }
        throw tooSmall(in, layouts, order, fixed, depths[depths.length - 1], minimum);
    }

    /**
     * Every stage's layout: index {@code i < layers} is layer {@code i}, index {@code layers} the LM
     * head, or null there when the head is the embedding's dequantized copy (resident, nothing to stream).
     */
    public static StageLayout[] layouts(ModelTensors tensors, int layers, TensorReader reader) {
        StageLayout[] out = new StageLayout[layers + 1];
        for (int i = 0; i < layers; i++) out[i] = StageLayout.of(i, tensors.layer(i), reader);
        if (!headIsEmbeddingCopy(tensors))
            out[layers] = StageLayout.of(layers, new WeightSpec[]{tensors.output()}, reader);
        return out;
    }

    /** Tied weights the backend only takes as F32: the head shares the embedding's resident F32 copy. */
    static boolean headIsEmbeddingCopy(ModelTensors tensors) {
        return tensors.outputSharesEmbedding() && tensors.embedding().converted();
    }

    /** The final norm, and the embedding when it has to be dequantized whole (else rows are read on demand). */
    private static long globalBytes(ModelTensors t) {
        return t.outputNorm().deviceBytes() + (t.embedding().converted() ? t.embedding().deviceBytes() : 0);
    }

    private static StreamingPlan resident(Inputs in, long fixed, long residentBytes) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i <= in.layers(); i++) ids.add(i);
        return new StreamingPlan(in.modelBytes(), in.budgetBytes(), in.budgetGiven(), in.kvBytes(), in.activationBytes(),
                fixed, in.layers(), ids, residentBytes, List.of(), 0, 0, 0, 0, fixed + residentBytes,
                false, in.note());
    }

    /** The plan keeping the longest resident prefix of {@code order} that fits; its minimum is the smallest total. */
    private static StreamingPlan streamed(Inputs in, StageLayout[] layouts, List<Integer> order, long fixed, int depth,
                                          boolean auto) {
        StreamingPlan best = null;
        long minimum = Long.MAX_VALUE;
        for (int k = order.size() - 1; k >= 0; k--) {
            StreamingPlan p = candidate(in, layouts, order, k, fixed, depth, auto);
            long total = fixed + p.residentBytes() + p.slots() * p.slotBytes();
            minimum = Math.min(minimum, total);
            if (best == null && total <= in.budgetBytes()) best = p;
        }
        StreamingPlan p = best != null ? best : candidate(in, layouts, order, 0, fixed, depth, auto);
        return withMinimum(p, minimum);
    }

    private static StreamingPlan candidate(Inputs in, StageLayout[] layouts, List<Integer> order, int k, long fixed,
                                           int depth, boolean auto) {
        List<Integer> chosen = spread(order, k, in.layers());
        List<Integer> resident = new ArrayList<>(chosen);
        if (layouts[in.layers()] == null) resident.add(in.layers());
        List<Integer> streamed = new ArrayList<>(order);
        streamed.removeAll(chosen);
        streamed.sort(null); // the order the forward pass needs them: layers, then the head
        long residentBytes = 0, slot = 0, staging = 0, perToken = 0;
        for (int id : chosen) residentBytes += layouts[id].bytes();
        for (int id : streamed) {
            slot = Math.max(slot, layouts[id].bytes());
            staging = Math.max(staging, layouts[id].stagingBytes());
            perToken += layouts[id].readBytes();
        }
        int d = auto ? Math.min(depth, streamed.size()) : depth;
        resident.sort(null);
        return new StreamingPlan(in.modelBytes(), in.budgetBytes(), in.budgetGiven(), in.kvBytes(), in.activationBytes(),
                fixed, in.layers(), resident, residentBytes, streamed, d, d + 1, slot + staging, perToken, 0,
                in.reader().direct(), in.note());
    }

    /**
     * The first {@code k} stages of {@code order} by count, with the layers among them spread evenly:
     * the head when it is first in {@code order}, then {@code r} layers out of {@code layers}, layer
     * {@code i} chosen when {@code floor((i + 1) r / layers) > floor(i r / layers)}, which picks exactly
     * {@code r}, one in every {@code layers / r}.
     */
    static List<Integer> spread(List<Integer> order, int k, int layers) {
        List<Integer> chosen = new ArrayList<>();
        int r = k;
        if (k > 0 && order.getFirst() == layers) {
            chosen.add(layers);
            r--;
        }
        for (int i = 0; i < layers && r > 0; i++)
            if ((long) (i + 1) * r / layers > (long) i * r / layers) chosen.add(i);
        return chosen;
    }

    private static StreamingPlan withMinimum(StreamingPlan p, long minimum) {
        return new StreamingPlan(p.modelBytes(), p.budgetBytes(), p.budgetGiven(), p.kvBytes(), p.activationBytes(),
                p.fixedBytes(), p.layers(), p.residentStages(), p.residentBytes(), p.streamedStages(), p.prefetchDepth(),
                p.slots(), p.slotBytes(), p.bytesPerToken(), minimum, p.directIo(), p.note());
    }

    private static BudgetTooSmallException tooSmall(Inputs in, StageLayout[] layouts, List<Integer> order, long fixed,
                                                   int depth, long minimum) {
        long largest = 0;
        for (int id : order) largest = Math.max(largest, layouts[id].bytes());
        return new BudgetTooSmallException("memory budget " + StreamingPlan.mib(in.budgetBytes()) + " is too small: "
                + "streaming this model at prefetch depth " + depth + " needs at least " + StreamingPlan.mib(minimum)
                + " (" + minimum + " bytes: largest streamed layer " + StreamingPlan.mib(largest) + " x " + (depth + 1)
                + " slot" + (depth == 0 ? "" : "s") + " + KV cache " + StreamingPlan.mib(in.kvBytes()) + " + activations "
                + StreamingPlan.mib(in.activationBytes()) + " + global weights "
                + StreamingPlan.mib(fixed - in.kvBytes() - in.activationBytes())
                + "); give a larger --memory-budget, a shorter context (-c) or an F16 KV cache, or a smaller --prefetch-depth", minimum);
    }

    /**
     * Bytes the system reports available ({@code MemAvailable} in {@code /proc/meminfo}), or
     * {@code Long.MAX_VALUE} where that cannot be read.
     */
    public static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Math.multiplyExact(Long.parseLong(parts[1]), 1024L);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: no limit known
        }
        return Long.MAX_VALUE;
    }
}
