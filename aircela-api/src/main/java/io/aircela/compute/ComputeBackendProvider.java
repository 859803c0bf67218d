package io.aircela.compute;

/**
 * Finds and creates one kind of {@link ComputeBackend}. Found with {@link java.util.ServiceLoader};
 * construction does no work and loads no native library (that happens in {@link #probe()}).
 */
public interface ComputeBackendProvider {

    /** Name used by {@code --backend}, e.g. {@code "cpu"}, {@code "opencl"}. */
    String name();

    /** Whether and how well this backend can run here. Never throws: failures are a score-0 probe. */
    Probe probe();

    /** Creates the backend; throws {@link io.aircela.BackendException} when it cannot run here. */
    ComputeBackend create(BackendOptions options);
}
