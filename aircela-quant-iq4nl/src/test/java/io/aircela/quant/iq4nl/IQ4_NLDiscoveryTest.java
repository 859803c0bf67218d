package io.aircela.quant.iq4nl;

import io.aircela.provider.Providers;
import io.aircela.quant.DequantizerProvider;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plug-in is reached through ServiceLoader alone, beside (not inside) the built-in formats. */
class IQ4_NLDiscoveryTest {
    @Test
    void registryFindsThePlugIn() {
        assertInstanceOf(IQ4_NLDequantizer.class, Providers.dequantizer("IQ4_NL"));
        assertInstanceOf(IQ4_NLDequantizer.class, Providers.dequantizer("iq4_nl"));
    }

    @Test
    void exactlyOneProviderClaimsIq4NlAndItIsThisModules() {
        List<String> claimants = new ArrayList<>();
        boolean builtInsPresent = false;
        for (DequantizerProvider p : ServiceLoader.load(DequantizerProvider.class)) {
            if (p.typeName().equals("IQ4_NL")) claimants.add(p.getClass().getName());
            builtInsPresent |= p.typeName().equals("Q4_0");
        }
        assertEquals(List.of(IQ4_NLDequantizerProvider.class.getName()), claimants);
        // the test class path also holds aircela-formats (for GGUF): its built-ins load alongside the plug-in
        assertTrue(builtInsPresent, "built-in formats should be on the test class path too");
        assertTrue(Providers.dequantizers().containsKey("IQ4_NL") && Providers.dequantizers().containsKey("Q4_0"));
    }
}
