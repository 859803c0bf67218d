package io.aircela.backend.cpu;

import io.aircela.backend.cpu.internal.CpuBuffer;
import io.aircela.compute.DeviceBuffer;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;
import io.aircela.kv.KvStoreProvider;
import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostKvStoreTest {

    @Test
    void hostStoreAllocatesEveryLayerThroughTheBackendAndFreesOnClose() {
        try (CpuBackend backend = new CpuBackend(1)) {
            KvStoreProvider provider = Providers.selectKvStore(null, backend);
            assertInstanceOf(HostKvStoreProvider.class, provider);
            assertTrue(provider.probe(backend) > 0);
            KvSpec spec = new KvSpec(2, 5, 8, QuantType.F16);
            KvStore store = provider.create(spec, backend);
            DeviceBuffer k1 = store.keys(1);
            assertEquals(QuantType.F16, k1.type());
            assertEquals(40, k1.elements());
            assertNotSame(store.keys(0), store.values(0));
            short[] bytes = new short[40];
            backend.read(k1, 0, MemorySegment.ofArray(bytes));
            assertArrayEquals(new short[40], bytes, "zero-filled");
            assertThrows(IndexOutOfBoundsException.class, () -> store.values(2));
            store.close();
            assertDoesNotThrow(store::close);
            assertTrue(((CpuBuffer) k1).isClosed());
            assertThrows(IllegalStateException.class, () -> store.keys(0));
        }
    }
}
