package io.aircela.quant.iq4nl;

import io.aircela.tck.ProviderDeclarationContractTest;

class IQ4_NLProviderDeclarationsTest extends ProviderDeclarationContractTest {
    @Override
    protected Class<?> classOfModule() {
        return IQ4_NLDequantizerProvider.class;
    }
}
