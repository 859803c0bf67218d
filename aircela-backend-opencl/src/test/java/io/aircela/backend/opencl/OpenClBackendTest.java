package io.aircela.backend.opencl;

import io.aircela.BackendException;
import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.kv.KvSpec;
import io.aircela.kv.KvStore;
import io.aircela.provider.Providers;
import io.aircela.quant.Dequantizer;
import io.aircela.quant.QuantType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the TCK does not cover: the probe without a platform, the host fallbacks, the KV store's choice. */
class OpenClBackendTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private final OpenClBackendProvider provider = new OpenClBackendProvider();
    private OpenClBackend backend;

    @BeforeEach
    void open() {
        var probe = provider.probe();
        Assumptions.assumeTrue(probe.isAvailable(), () -> "opencl cannot run here: " + probe.reason());
        backend = (OpenClBackend) provider.create(new BackendOptions(1, 0));
    }

    @AfterEach
    void close() {
        if (backend != null) backend.close();
    }

    @Test
    void probeScoresACpuDeviceBelowTheCpuBackendAndListsDevices() {
        var probe = provider.probe();
        assertTrue(probe.details().containsKey("device.0"), probe.details().toString());
        boolean gpu = probe.details().get("device.0").contains("(GPU,");
        assertEquals(gpu ? OpenClBackendProvider.GPU_SCORE : probe.score(), probe.score());
        if (!gpu) assertTrue(probe.score() < 10, "a CPU OpenCL device must score below the cpu backend (10)");
        assertTrue(backend.deviceDescription().length() > 3);
    }

    /**
     * A child JVM whose ICD loader sees an empty vendor folder: the probe scores 0 with the reason and does not
     * throw; create (what {@code --backend opencl} does) fails with a one-line {@link BackendException}.
     */
    @Test
    void withoutAnyPlatformTheProbeSaysSoAndDoesNotThrow(@TempDir Path emptyVendors) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ProbeMain.class.getName()).redirectErrorStream(true);
        pb.environment().put("OCL_ICD_VENDORS", emptyVendors.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe hung");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("PROBE 0|"), out);
        assertTrue(out.contains("no OpenCL platform"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("CREATE BackendException: the opencl backend cannot run here: no "
                + "OpenCL platform")), "create fails with a one-line message: " + out);
    }

    /** Q5_0 has no kernel: upload decodes it on the host to F32, and MatMul then matches the dequantizer. */
    @Test
    void typesWithoutAKernelAreDecodedOnTheHostToF32() {
        Dequantizer dq = Providers.dequantizer("Q5_0");
        int rows = 5, cols = 64;
        Random r = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bytes = arena.allocate(QuantType.Q5_0.byteSize((long) rows * cols));
            for (long i = 0; i < bytes.byteSize(); i++) bytes.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
            for (long b = 0; b < bytes.byteSize(); b += 22) bytes.set(HALF, b, Float.floatToFloat16(0.01f + b * 1e-5f));
            float[] w = new float[rows * cols];
            dq.dequantize(bytes, 0, w, 0, w.length);
            DeviceBuffer wb = backend.upload(bytes, QuantType.Q5_0, (long) rows * cols);
            assertEquals(QuantType.F32, wb.type(), "decoded on the host");
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = r.nextFloat(-1, 1);
            DeviceBuffer xb = backend.allocate(QuantType.F32, cols);
            backend.write(xb, 0, MemorySegment.ofArray(x));
            DeviceBuffer out = backend.allocate(QuantType.F32, rows);
            backend.run(new Op.MatMul(wb, rows, cols, xb, out, 1));
            float[] got = new float[rows];
            backend.read(out, 0, MemorySegment.ofArray(got));
            for (int row = 0; row < rows; row++) {
                double expected = 0;
                for (int c = 0; c < cols; c++) expected += (double) w[row * cols + c] * x[c];
                assertEquals(expected, got[row], 1e-4, "row " + row);
            }
        }
    }

    @Test
    void aTypeWithoutKernelOrDequantizerFailsWithTheNativeList() {
        DeviceBuffer w = backend.allocate(QuantType.Q5_K, 256);
        DeviceBuffer x = backend.allocate(QuantType.F32, 256);
        DeviceBuffer out = backend.allocate(QuantType.F32, 1);
        var e = assertThrows(BackendException.class, () -> backend.run(new Op.MatMul(w, 1, 256, x, out, 1)));
        assertTrue(e.getMessage().contains("Q4_K"), e.getMessage());
        var u = assertThrows(BackendException.class, () -> backend.upload(MemorySegment.ofArray(new byte[8]), QuantType.I64, 1));
        assertTrue(u.getMessage().contains("no dequantizer"), u.getMessage());
    }

    @Test
    void theKvStoreProviderServesOnlyTheOpenClBackendAndBeatsTheHostStore() {
        var p = new OpenClKvStoreProvider();
        assertEquals(OpenClKvStoreProvider.SCORE, p.probe(backend));
        ComputeBackend other = (ComputeBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{ComputeBackend.class}, (proxy, m, args) -> m.getName().equals("name") ? "other" : null);
        assertEquals(0, p.probe(other));
        assertEquals("opencl", Providers.selectKvStore(null, backend).name());
    }

    /** Device memory capped below the cache's size: the store goes to host memory and attention still works on it. */
    @Test
    void theKvCacheFallsBackToHostMemoryWhenTheDeviceIsShort() {
        KvSpec spec = new KvSpec(2, 256, 32, QuantType.F16); // 64 KiB
        float[] onDevice;
        try (OpenClKvStore kv = new OpenClKvStore(spec, backend)) {
            assertTrue(kv.onDevice());
            onDevice = attend(kv);
        }
        backend.limitDeviceMemory(backend.deviceMemoryInUse() + 8192); // room for the activations only
        try (OpenClKvStore kv = new OpenClKvStore(spec, backend)) {
            assertFalse(kv.onDevice(), "8 KiB free for a 64 KiB cache: host memory");
            assertArrayEquals(onDevice, attend(kv));
        }
    }

    private float[] attend(KvStore kv) {
        int heads = 2, kvHeads = 2, headDim = 16, n = 3;
        Random r = new Random(3);
        float[] q = new float[n * heads * headDim], k = new float[n * kvHeads * headDim];
        for (int i = 0; i < q.length; i++) q[i] = r.nextFloat(-1, 1);
        for (int i = 0; i < k.length; i++) k[i] = r.nextFloat(-1, 1);
        DeviceBuffer qb = backend.allocate(QuantType.F32, q.length), kb = backend.allocate(QuantType.F32, k.length);
        backend.write(qb, 0, MemorySegment.ofArray(q));
        backend.write(kb, 0, MemorySegment.ofArray(k));
        backend.run(new Op.Copy(kb, 0, kv.keys(1), 0, k.length));
        backend.run(new Op.Copy(qb, 0, kv.values(1), 0, k.length));
        DeviceBuffer out = backend.allocate(QuantType.F32, q.length);
        backend.run(new Op.Attention(qb, kv.keys(1), kv.values(1), out, n, 0, heads, kvHeads, headDim, 0.25f));
        float[] got = new float[q.length];
        backend.read(out, 0, MemorySegment.ofArray(got));
        for (DeviceBuffer b : new DeviceBuffer[]{qb, kb, out}) b.close();
        return got;
    }

    @Test
    void allocationsPastTheDeviceLimitFailWithATypedError() {
        backend.limitDeviceMemory(1024);
        var e = assertThrows(BackendException.class, () -> backend.allocate(QuantType.F32, 1024));
        assertTrue(e.getMessage().contains("out of device memory"), e.getMessage());
        DeviceBuffer small = backend.allocate(QuantType.F32, 16);
        assertEquals(1024 - 64, backend.deviceMemoryAvailable());
        small.close();
        assertEquals(1024, backend.deviceMemoryAvailable());
    }

    @Test
    void buffersOfAnotherBackendAndOutOfRangeTransfersAreRejected() {
        try (OpenClBackend second = (OpenClBackend) provider.create(new BackendOptions(1, 0))) {
            DeviceBuffer foreign = second.allocate(QuantType.F32, 4);
            assertThrows(IllegalArgumentException.class, () -> backend.run(new Op.Softmax(foreign, 1, 4)));
        }
        DeviceBuffer b = backend.allocate(QuantType.F32, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> backend.write(b, 8, MemorySegment.ofArray(new float[3])));
        assertThrows(IndexOutOfBoundsException.class, () -> backend.read(b, -4, MemorySegment.ofArray(new float[1])));
        assertThrows(IllegalArgumentException.class, () -> backend.run(new Op.GetRows(b, new int[]{1}, 4, b)));
    }
}
