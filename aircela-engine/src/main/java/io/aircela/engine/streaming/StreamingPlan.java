package io.aircela.engine.streaming;

import java.util.List;
import java.util.Locale;

/**
 * How a model is held under a memory budget, decided before the first token: which stages stay
 * resident and which are streamed through a prefetch pipeline. A stage is a transformer layer
 * ({@code 0 .. layers-1}) or the LM head (stage id {@code layers}): the head is used every token, so
 * it is the first to stay resident; then whole layers in order, as many as fit next to the slots.
 *
 * <p>What the budget counts: the KV cache, the activations of one sequence, the resident stages
 * (engine-owned copies when streaming; the mapped file when everything is resident), the slots, and
 * small global weights. The token embedding is read a row at a time from the mapped file on demand
 * (GetRows), so it is not counted unless the backend needs it dequantized (then its F32 copy is).
 * Scoring every position adds {@code positions × vocab × 4} bytes of logits. Immutable.
 *
 * @param modelBytes      bytes of every tensor in the file
 * @param budgetBytes     the budget planned for
 * @param budgetGiven     whether the budget was given (else: the memory the system reported free)
 * @param kvBytes         bytes of one sequence's KV cache
 * @param activationBytes bytes of one sequence's activations
 * @param fixedBytes      KV + activations + resident global weights (norms; a dequantized embedding)
 * @param layers          transformer layers in the model
 * @param residentStages  stage ids kept resident, ascending (all of them when nothing is streamed)
 * @param residentBytes   bytes the resident stages occupy
 * @param streamedStages  stage ids streamed, in the order each token needs them (the pipeline's cycle)
 * @param prefetchDepth   loads in flight ahead of compute (0 when nothing is streamed)
 * @param slots           slot buffers ({@code prefetchDepth + 1}; 0 when nothing is streamed)
 * @param slotBytes       bytes of one slot (the largest streamed stage, plus staging)
 * @param bytesPerToken   bytes read from storage per forward pass (each streamed stage once)
 * @param minimumBudget   the smallest budget that streams at this depth (largest stage × slots + KV
 *                        + activations + resident globals)
 * @param directIo        whether streamed reads bypass the page cache
 * @param note            why something asked for was not done (O_DIRECT refused ...), or empty
 */
public record StreamingPlan(long modelBytes, long budgetBytes, boolean budgetGiven, long kvBytes, long activationBytes,
                            long fixedBytes, int layers, List<Integer> residentStages, long residentBytes,
                            List<Integer> streamedStages, int prefetchDepth, int slots, long slotBytes,
                            long bytesPerToken, long minimumBudget, boolean directIo, String note) {

    public StreamingPlan {
        residentStages = List.copyOf(residentStages);
        streamedStages = List.copyOf(streamedStages);
    }

    /** Whether any stage is streamed. */
    public boolean streaming() {
        return !streamedStages.isEmpty();
    }

    /** Stages (layers and the LM head) kept resident. */
    public int residentLayers() {
        return residentStages.size();
    }

    /** Stages (layers and the LM head) streamed. */
    public int streamedLayers() {
        return streamedStages.size();
    }

    /** Whether the LM head stays resident. */
    public boolean outputResident() {
        return !streamedStages.contains(layers);
    }

    /** The plan in a few lines for people (stderr): sizes in MiB. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "plan: model %s, budget %s (%s), KV cache %s, activations %s%n",
                mib(modelBytes), budgetBytes == Long.MAX_VALUE ? "unlimited" : mib(budgetBytes),
                budgetGiven ? "given" : "free memory", mib(kvBytes), mib(activationBytes)));
        if (!streaming()) {
            sb.append(String.format(Locale.ROOT, "plan: all %d layers and the output head resident (%s), nothing streamed%n",
                    layers, mib(residentBytes)));
        } else {
            sb.append(String.format(Locale.ROOT, "plan: resident %s (%s); streamed %s through %d slot%s of %s"
                            + " (prefetch depth %d), ~%s read per token (%s)%n",
                    stages(residentStages), mib(residentBytes), stages(streamedStages), slots, slots == 1 ? "" : "s",
                    mib(slotBytes), prefetchDepth, mib(bytesPerToken), directIo ? "O_DIRECT" : "page cache"));
        }
        if (!note.isEmpty()) sb.append("plan: note: ").append(note).append(System.lineSeparator());
        return sb.toString();
    }

    private String stages(List<Integer> ids) {
        if (ids.isEmpty()) return "nothing";
        boolean head = ids.contains(layers);
        List<Integer> blocks = ids.stream().filter(i -> i != layers).sorted().toList();
        String text = blocks.isEmpty() ? "" : blocks.size() + " layer" + (blocks.size() == 1 ? "" : "s") + " ("
                + ranges(blocks) + ")";
        if (head) text = blocks.isEmpty() ? "the output head" : "the output head + " + text;
        return text;
    }

    private static String ranges(List<Integer> sorted) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sorted.size(); ) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) j++;
            if (!sb.isEmpty()) sb.append(',');
            sb.append(sorted.get(i));
            if (j > i) sb.append('-').append(sorted.get(j));
            i = j + 1;
        }
        return sb.toString();
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
