package io.aircela.quant;

/**
 * Makes one {@link Dequantizer}. Found with {@link java.util.ServiceLoader}; a provider is a
 * cheap no-arg class: construction does no work.
 */
public interface DequantizerProvider {

    /** The on-disk type name this provider handles, e.g. {@code "Q4_0"}. */
    String typeName();

    /** A (stateless, thread-safe) dequantizer for the format. */
    Dequantizer create();
}
