package io.aircela.formats.internal;

import io.aircela.weights.LayerInfo;
import io.aircela.weights.TensorInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Groups tensors into {@link LayerInfo}s, as every weight source presents them. Not exported. */
public final class TensorLayers {
    private TensorLayers() {
    }

    /**
     * The layers of {@code tensors} in layer order (tensors with {@code layer() < 0} belong to none), each
     * with its tensors in the given order, the byte range they span and their total size.
     */
    public static List<LayerInfo> group(List<TensorInfo> tensors) {
        Map<Integer, List<TensorInfo>> groups = new TreeMap<>();
        for (TensorInfo t : tensors)
            if (t.layer() >= 0) groups.computeIfAbsent(t.layer(), k -> new ArrayList<>()).add(t);
        List<LayerInfo> out = new ArrayList<>(groups.size());
        for (Map.Entry<Integer, List<TensorInfo>> e : groups.entrySet()) {
            long first = Long.MAX_VALUE, end = 0, bytes = 0;
            for (TensorInfo t : e.getValue()) {
                first = Math.min(first, t.offset());
                end = Math.max(end, t.end());
                bytes += t.byteSize();
            }
            out.add(new LayerInfo(e.getKey(), e.getValue(), first, end, bytes));
        }
        return List.copyOf(out);
    }
}
