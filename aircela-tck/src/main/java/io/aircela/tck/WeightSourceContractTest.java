package io.aircela.tck;

import io.aircela.weights.LayerInfo;
import io.aircela.weights.ModelConfig;
import io.aircela.weights.TensorInfo;
import io.aircela.weights.WeightSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every {@link WeightSource} adapter meets. Subclass it and say how to open a sample
 * model (a few lines; skip with {@link SharedTestData#require} when the sample is absent):
 *
 * <pre>{@code
 * class MyFormatContractTest extends WeightSourceContractTest {
 *     protected WeightSource openSample() {
 *         return MyFormat.open(SharedTestData.require("models/x.my"));
 *     }
 * }
 * }</pre>
 *
 * It checks: tensors exist with unique names; every view has the tensor's size and {@code read}
 * copies exactly the view's bytes; layers partition the per-layer tensors with correct byte ranges;
 * the config (if any) agrees with the tensors; close is idempotent and later access fails with
 * {@link IllegalStateException}.
 */
public abstract class WeightSourceContractTest {

    /** Opens a fresh source on the sample model; each test closes it. */
    protected abstract WeightSource openSample();

    private WeightSource source;

    @BeforeEach
    void open() {
        source = openSample();
    }

    @AfterEach
    void close() {
        if (source != null) source.close();
    }

    @Test
    void tensorsAreNonEmptyWithUniqueNames() {
        List<TensorInfo> tensors = source.tensors();
        assertFalse(tensors.isEmpty(), "a sample model has tensors");
        Set<String> names = new HashSet<>();
        for (TensorInfo t : tensors) {
            assertTrue(names.add(t.name()), "duplicate tensor name " + t.name());
            assertTrue(source.tensor(t.name()).isPresent(), "tensor(name) finds " + t.name());
            assertEquals(t, source.tensor(t.name()).get());
            assertTrue(t.byteSize() >= 0 && t.offset() >= 0, t + " has a negative range");
            assertEquals(t.type().byteSize(t.elements()), t.byteSize(), "byteSize of " + t + " matches type and shape");
        }
        assertTrue(source.tensor("no such tensor \u0000").isEmpty());
    }

    @Test
    void everyViewHasTheTensorsSize() {
        for (TensorInfo t : source.tensors()) {
            MemorySegment view = source.view(t);
            assertEquals(t.byteSize(), view.byteSize(), "view size of " + t.name());
            assertTrue(view.isReadOnly(), "views are read-only: " + t.name());
        }
    }

    @Test
    void readCopiesExactlyTheViewsBytes() {
        try (Arena arena = Arena.ofConfined()) {
            for (TensorInfo t : source.tensors()) {
                // one byte larger, pre-filled: read must fill exactly byteSize bytes and leave the rest
                MemorySegment dst = arena.allocate(t.byteSize() + 1).fill((byte) 0x5A);
                source.read(t, dst);
                assertEquals(-1, dst.asSlice(0, t.byteSize()).mismatch(source.view(t)), "read differs from view: " + t.name());
                assertEquals((byte) 0x5A, dst.get(ValueLayout.JAVA_BYTE, t.byteSize()), "read wrote past the tensor");
            }
        }
    }

    @Test
    void layersPartitionTheLayerTensors() {
        List<TensorInfo> expected = new ArrayList<>();
        for (TensorInfo t : source.tensors()) if (t.layer() >= 0) expected.add(t);
        List<TensorInfo> seen = new ArrayList<>();
        int previous = -1;
        for (LayerInfo layer : source.layers()) {
            assertTrue(layer.index() > previous, "layers are sorted by index without repeats");
            previous = layer.index();
            assertFalse(layer.tensors().isEmpty(), "layer " + layer.index() + " has tensors");
            long first = Long.MAX_VALUE, end = 0, bytes = 0;
            for (TensorInfo t : layer.tensors()) {
                assertEquals(layer.index(), t.layer(), t.name() + " is in the wrong layer");
                first = Math.min(first, t.offset());
                end = Math.max(end, t.end());
                bytes += t.byteSize();
                seen.add(t);
            }
            assertEquals(first, layer.firstByte(), "firstByte of layer " + layer.index());
            assertEquals(end, layer.endByte(), "endByte of layer " + layer.index());
            assertEquals(bytes, layer.byteSize(), "byteSize of layer " + layer.index());
        }
        assertEquals(expected.size(), seen.size(), "every layer tensor in exactly one layer");
        assertEquals(new HashSet<>(expected), new HashSet<>(seen));
    }

    @Test
    void configAgreesWithTheTensors() {
        if (source.config().isEmpty()) return;
        ModelConfig c = source.config().get();
        assertTrue(c.dim() > 0 && c.layers() > 0 && c.heads() > 0 && c.kvHeads() > 0 && c.vocabSize() > 0, c.toString());
        assertEquals(0, c.heads() % c.kvHeads(), "kv heads divide heads");
        assertTrue(c.ropeDims() <= c.headDim(), "rope dims within a head");
        assertEquals(c.layers(), source.layers().size(), "one layer entry per block");
        for (LayerInfo l : source.layers()) assertTrue(l.index() < c.layers(), "layer index below the block count");
        assertTrue(c.bosId() < c.vocabSize() && c.eosId() < c.vocabSize(), "special ids inside the vocabulary");
        boolean embedding = false;
        for (TensorInfo t : source.tensors())
            if (t.rank() == 2 && t.layer() < 0 && t.dim(0) == c.dim() && t.dim(1) == c.vocabSize()) embedding = true;
        assertTrue(embedding, "some non-layer tensor is the [dim, vocab] embedding");
    }

    @Test
    void closeTwiceIsHarmlessAndLaterAccessFails() {
        TensorInfo t = source.tensors().getFirst();
        MemorySegment early = source.view(t);
        source.close();
        assertDoesNotThrow(source::close);
        assertThrows(IllegalStateException.class, () -> source.view(t));
        if (early.byteSize() > 0)
            assertThrows(IllegalStateException.class, () -> early.get(ValueLayout.JAVA_BYTE, 0),
                    "a view taken before close is dead after it");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(Math.max(1, t.byteSize()));
            assertThrows(IllegalStateException.class, () -> source.read(t, dst));
        }
    }
}
