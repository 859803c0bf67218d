package io.aircela.backend.opencl;

import io.aircela.backend.opencl.internal.JvmSignals;
import io.aircela.compute.BackendOptions;
import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.compute.Probe;
import io.aircela.quant.QuantType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Probes OpenCL, opens the backend and runs a MatMul, then prints "HANDLER same|changed" (the SIGSEGV handler
 * against the one before the first OpenCL call) and makes compiled code dereference null: "NPE n" when the JVM
 * turned the faults into NullPointerExceptions. Run in a child JVM by {@link OpenClSignalsTest}.
 */
public final class SignalsMain {
    private static final class Holder {
        int value = 1;
    }

    private SignalsMain() {
    }

    public static void main(String[] args) {
        long before = JvmSignals.handler(JvmSignals.SIGSEGV);
        OpenClBackendProvider provider = new OpenClBackendProvider();
        Probe p = provider.probe();
        if (!p.isAvailable()) {
            System.out.println("SKIP " + p.reason());
            return;
        }
        try (ComputeBackend backend = provider.create(BackendOptions.defaults()); Arena arena = Arena.ofConfined()) {
            int rows = 8, cols = 32;
            MemorySegment w = arena.allocate(4L * rows * cols, 4);
            for (int i = 0; i < rows * cols; i++) w.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % 7 - 3);
            MemorySegment x = arena.allocate(4L * cols, 4);
            for (int i = 0; i < cols; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f);
            try (DeviceBuffer wb = backend.upload(w, QuantType.F32, (long) rows * cols);
                 DeviceBuffer xb = backend.upload(x, QuantType.F32, cols);
                 DeviceBuffer out = backend.allocate(QuantType.F32, rows)) {
                backend.run(new Op.MatMul(wb, rows, cols, xb, out, 1));
                MemorySegment o = arena.allocate(4L * rows, 4);
                backend.read(out, 0, o);
                System.out.println("MATMUL " + o.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            }
        }
        System.out.println("HANDLER " + (before == JvmSignals.handler(JvmSignals.SIGSEGV) ? "same" : "changed"));
        Holder[] holders = new Holder[1024];
        java.util.Arrays.fill(holders, new Holder());
        long sum = 0;
        for (int round = 0; round < 300; round++) sum += sum(holders); // compiled with implicit null checks
        holders[5] = null; // now the compiled loads fault: SIGSEGV, which the JVM turns into NullPointerExceptions
        int npes = 0;
        for (int round = 0; round < 10; round++) {
            try {
                sum += sum(holders);
            } catch (NullPointerException e) {
                npes++;
            }
        }
        System.out.println("NPE " + npes + " " + sum);
    }

    private static long sum(Holder[] holders) {
        long s = 0;
        for (int i = 0; i < 10_000; i++) s += holders[i & 1023].value;
        return s;
    }
}
