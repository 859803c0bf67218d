package io.aircela.backend.opencl.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Keeps the JVM's signal handlers installed across calls into OpenCL drivers.
 * <p>
 * PoCL (the CPU OpenCL driver) initializes LLVM, and LLVM installs its crash handlers for SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGUSR2, SIGINT, SIGTERM ... with {@code sigaction}, replacing HotSpot's. HotSpot depends on those signals
 * in normal operation: compiled code turns a null dereference into a NullPointerException through SIGSEGV (an
 * "implicit null check"), thread suspension uses SIGUSR2, and shutdown hooks run on SIGINT/SIGTERM. LLVM's handler
 * is installed with SA_RESETHAND and puts the previous handlers back when it runs, so a single fault survives; but a
 * second thread faulting in that window meets the default action and the process dies ("segfault at 8" in the
 * kernel log, no hs_err file: what killed 3 of 12 CPU benchmark runs whose two workers ran the same code), and
 * Ctrl-C skips the shutdown hooks. Merely probing for OpenCL did this to every process on a machine with PoCL.
 * <p>
 * {@link #guard} takes the handlers of the signals HotSpot uses before a native call and puts back any that the call
 * replaced (the raw {@code struct sigaction} bytes, so no layout is assumed). LLVM registers its handlers once per
 * process, so restoring them after the call that registered them is enough. Linux only (signal numbers); a no-op
 * elsewhere, and when {@code sigaction} cannot be called. Preloading the JDK's {@code libjsig.so} is the JVM's own
 * answer (it chains the driver's handlers behind the JVM's); this guard works without it, also when AirCELA is
 * embedded.
 */
public final class JvmSignals {
    /** SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGBUS, SIGFPE, SIGSEGV, SIGUSR2, SIGPIPE, SIGTERM, SIGXFSZ (Linux numbers). */
    static final int[] SIGNALS = {1, 2, 3, 4, 7, 8, 11, 12, 13, 15, 25};
    public static final int SIGSEGV = 11;
    /** At least {@code sizeof(struct sigaction)} (152 bytes on Linux x86-64 and aarch64). */
    private static final long ACTION_BYTES = 256;
    private static final MethodHandle SIGACTION = sigaction();

    private JvmSignals() {
    }

    private static MethodHandle sigaction() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("sigaction")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // native access denied or no linker: the guard does nothing
        }
    }

    /** Whether the guard can read and restore handlers here. */
    public static boolean isActive() {
        return SIGACTION != null;
    }

    /** Runs {@code call}, then restores any of the JVM's signal handlers it replaced. */
    public static <T> T guard(Supplier<T> call) {
        byte[][] before = save();
        try {
            return call.get();
        } finally {
            restore(before);
        }
    }

    /** The current handler (function address) of {@code signal}, or 0 when the guard is not active. */
    public static long handler(int signal) {
        if (SIGACTION == null) return 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment action = arena.allocate(ACTION_BYTES, 16);
            if (call(signal, MemorySegment.NULL, action) != 0) return 0;
            return action.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private static byte[][] save() {
        if (SIGACTION == null) return null;
        byte[][] saved = new byte[SIGNALS.length][];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment action = arena.allocate(ACTION_BYTES, 16);
            for (int i = 0; i < SIGNALS.length; i++) {
                action.fill((byte) 0);
                if (call(SIGNALS[i], MemorySegment.NULL, action) == 0) saved[i] = action.toArray(ValueLayout.JAVA_BYTE);
            }
        }
        return saved;
    }

    private static void restore(byte[][] saved) {
        if (saved == null) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment now = arena.allocate(ACTION_BYTES, 16);
            MemorySegment old = arena.allocate(ACTION_BYTES, 16);
            for (int i = 0; i < SIGNALS.length; i++) {
                if (saved[i] == null) continue;
                now.fill((byte) 0);
                if (call(SIGNALS[i], MemorySegment.NULL, now) != 0) continue;
                if (Arrays.equals(now.toArray(ValueLayout.JAVA_BYTE), saved[i])) continue;
                MemorySegment.copy(saved[i], 0, old, ValueLayout.JAVA_BYTE, 0, saved[i].length);
                call(SIGNALS[i], old, MemorySegment.NULL);
            }
        }
    }

    private static int call(int signal, MemorySegment act, MemorySegment oldact) {
        try {
            return (int) SIGACTION.invokeExact(signal, act, oldact);
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            return -1;
        }
    }
}
