package io.aircela.backend.cpu;

import io.aircela.BackendException;
import io.aircela.backend.cpu.internal.CpuBuffer;
import io.aircela.compute.BackendOptions;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.compute.Probe;
import io.aircela.provider.Providers;
import io.aircela.quant.QuantType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuBackendTest {

    private static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
    }

    @Test
    void providerIsFoundAndProbesAvailableWithVectorDetails() {
        CpuBackendProvider p = assertInstanceOf(CpuBackendProvider.class, Providers.selectBackend("cpu"));
        Probe probe = p.probe();
        assertEquals(10, probe.score());
        assertTrue(probe.details().containsKey("vector.bits"));
        assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()), probe.details().get("cores"));
    }

    @Test
    void workersAreStartedOnceAndJoinedOnClose() {
        CpuBackend b = (CpuBackend) new CpuBackendProvider().create(new BackendOptions(4, 0));
        String prefix = b.threadNamePrefix();
        assertEquals(3, threadsNamed(prefix), "threads - 1 workers, the caller is the last");
        DeviceBuffer w = b.allocate(QuantType.F32, 64 * 8);
        DeviceBuffer x = b.allocate(QuantType.F32, 8);
        DeviceBuffer out = b.allocate(QuantType.F32, 64);
        for (int i = 0; i < 20; i++) b.run(new Op.MatMul(w, 64, 8, x, out, 1));
        assertEquals(3, threadsNamed(prefix), "ops start no threads");
        b.close();
        assertEquals(0, threadsNamed(prefix));
        assertTrue(((CpuBuffer) w).isClosed() && ((CpuBuffer) out).isClosed(), "close frees every buffer");
        assertThrows(IllegalStateException.class, ((CpuBuffer) w)::segment);
    }

    /**
     * An uploaded Q4_0, Q4_K or Q8_0 weight is repacked on its second MatMul (decode and prefill then read the copy): the
     * results are those of the row kernels bit for bit, the copy is made once, and close frees it.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = QuantType.class, names = {"Q4_0", "Q4_K", "Q8_0"})
    void weightsAreRepackedOnSecondUseWithTheSameResults(QuantType type) throws java.io.IOException {
        int rows = 64, cols = 256;
        int blockBytes = (int) type.byteSize(type == QuantType.Q4_K ? 256 : 32);
        repackedOnSecondUse(type, rows, cols, blockBytes, true, false); // on by default
        repackedOnSecondUse(type, rows, cols, blockBytes, false, true); // off under a memory budget
        System.setProperty("aircela.cpu.repack", "false");
        try {
            repackedOnSecondUse(type, rows, cols, blockBytes, false, false);
        } finally {
            System.clearProperty("aircela.cpu.repack");
        }
    }

    private void repackedOnSecondUse(QuantType type, int rows, int cols, int blockBytes, boolean on, boolean budget)
            throws java.io.IOException {
        try (CpuBackend b = new CpuBackend(2); Arena arena = Arena.ofShared()) {
            if (budget) b.keepWeightsAsUploaded();
            java.util.Random random = new java.util.Random(3);
            MemorySegment bytes = arena.allocate(type.byteSize((long) rows * cols));
            for (long i = 0; i < bytes.byteSize(); i++) bytes.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
            for (long o = 0; o < bytes.byteSize(); o += blockBytes) {
                bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(random.nextFloat(0.001f, 0.02f)));
                if (type == QuantType.Q4_K) // dmin
                    bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16(random.nextFloat(0.001f, 0.02f)));
            }
            // repacking applies to weights mapped from a file (a fully resident model), as the engine uploads them
            java.nio.file.Path file = java.nio.file.Files.createTempFile("aircela-repack", ".bin");
            file.toFile().deleteOnExit();
            java.nio.file.Files.write(file, bytes.toArray(ValueLayout.JAVA_BYTE));
            MemorySegment mapped;
            try (var ch = java.nio.channels.FileChannel.open(file)) {
                mapped = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, bytes.byteSize(), arena);
            }
            DeviceBuffer native_ = b.upload(bytes, type, (long) rows * cols);
            DeviceBuffer w = b.upload(mapped, type, (long) rows * cols);
            for (int n : new int[]{1, 13}) {
                DeviceBuffer x = b.allocate(QuantType.F32, (long) n * cols);
                MemorySegment xs = arena.allocate(4L * n * cols);
                for (long i = 0; i < (long) n * cols; i++) xs.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, random.nextFloat(-1f, 1f));
                b.write(x, 0, xs);
                float[][] results = new float[3][];
                for (int use = 0; use < 3; use++) {
                    DeviceBuffer out = b.allocate(QuantType.F32, (long) n * rows);
                    b.run(new Op.MatMul(w, rows, cols, x, out, n));
                    MemorySegment o = arena.allocate(4L * n * rows);
                    b.read(out, 0, o);
                    results[use] = o.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                    out.close();
                }
                for (int use = 0; use < 3; use++) {
                    DeviceBuffer out = b.allocate(QuantType.F32, (long) n * rows);
                    b.run(new Op.MatMul(native_, rows, cols, x, out, n));
                    out.close();
                }
                assertEquals(null, ((CpuBuffer) native_).repacked(), "weights in memory the caller owns are not copied");
                boolean repacked = ((CpuBuffer) w).repacked() != null;
                boolean supported = switch (type) {
                    case Q4_0 -> io.aircela.backend.cpu.internal.Q4_0Repacked.supports(rows, cols);
                    case Q4_K -> io.aircela.backend.cpu.internal.Q4_KRepacked.supports(rows, cols);
                    default -> io.aircela.backend.cpu.internal.Q8_0Repacked.supports(rows, cols);
                };
                assertEquals(on && supported, repacked,
                        "repacked when on (-Daircela.cpu.repack=false turns it off) and the vector width allows");
                for (int i = 0; i < results[0].length; i++) {
                    assertEquals(results[0][i], results[1][i], 0f, "n=" + n + " output " + i + ": the same bits repacked or not");
                    assertEquals(results[1][i], results[2][i], 0f, "the repacked copy is stable");
                }
            }
            w.close();
            assertEquals(null, ((CpuBuffer) w).repacked(), "close frees the copy");
        }
    }

    @Test
    void uploadAliasesNativeMemoryAndCopiesOtherHeapArrays() {
        try (CpuBackend b = new CpuBackend(2); Arena arena = Arena.ofShared()) {
            MemorySegment weights = arena.allocate(4 * 4);
            DeviceBuffer table = b.upload(weights, QuantType.F32, 4);
            weights.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 2, 7f); // after upload: the alias sees it
            DeviceBuffer out = b.allocate(QuantType.F32, 4);
            b.run(new Op.GetRows(table, new int[]{1, 0}, 2, out));
            float[] got = new float[4];
            b.read(out, 0, MemorySegment.ofArray(got));
            assertArrayEquals(new float[]{7f, 0f, 0f, 0f}, got);
            assertTrue(((CpuBuffer) table).isAlias());

            float[] heap = {1, 2, 3, 4};
            DeviceBuffer copied = b.upload(MemorySegment.ofArray(heap), QuantType.F32, 4);
            heap[0] = 100;
            b.run(new Op.GetRows(copied, new int[]{0}, 2, out));
            b.read(out, 0, MemorySegment.ofArray(got));
            assertArrayEquals(new float[]{1f, 2f, 0f, 0f}, got, "a float[] heap segment is copied, not aliased");
        }
    }

    @Test
    void typesWithoutKernelOrDequantizerFailWithTypedErrors() {
        try (CpuBackend b = new CpuBackend(1)) {
            DeviceBuffer w = b.allocate(QuantType.I32, 4);
            DeviceBuffer x = b.allocate(QuantType.F32, 2);
            DeviceBuffer out = b.allocate(QuantType.F32, 2);
            BackendException e = assertThrows(BackendException.class, () -> b.run(new Op.MatMul(w, 2, 2, x, out, 1)));
            assertTrue(e.getMessage().contains("I32"), e.getMessage());
            DeviceBuffer f = b.allocate(QuantType.F32, 4);
            assertThrows(IllegalArgumentException.class, () -> b.run(new Op.GetRows(f, new int[]{2}, 2, out)));
            assertThrows(IllegalArgumentException.class, () -> b.run(new Op.MatMul(f, 4, 2, x, out, 1)), "out too small");
            try (CpuBackend other = new CpuBackend(1)) {
                DeviceBuffer foreign = other.allocate(QuantType.F32, 2);
                assertThrows(IllegalArgumentException.class, () -> b.run(new Op.Softmax(foreign, 1, 2)));
            }
        }
    }
}
