package io.aircela.quant.iq4nl;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;

/**
 * Registers {@link IQ4_NLDequantizer} with {@link java.util.ServiceLoader} (declared in this module's
 * {@code module-info} and {@code META-INF/services}). Cheap: construction does no work.
 */
public final class IQ4_NLDequantizerProvider implements DequantizerProvider {
    private static final Dequantizer INSTANCE = new IQ4_NLDequantizer();

    @Override
    public String typeName() {
        return "IQ4_NL";
    }

    @Override
    public Dequantizer create() {
        return INSTANCE;
    }
}
