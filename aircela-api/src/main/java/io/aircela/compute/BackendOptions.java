package io.aircela.compute;

/**
 * Settings for creating a backend.
 *
 * @param threads worker threads for backends that use CPU cores (at least 1)
 * @param device  device index for backends with several devices (0 = first)
 */
public record BackendOptions(int threads, int device) {
    public BackendOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        if (device < 0) throw new IllegalArgumentException("device must be 0 or more, was " + device);
    }

    /** All available cores, first device. */
    public static BackendOptions defaults() {
        return new BackendOptions(Runtime.getRuntime().availableProcessors(), 0);
    }
}
