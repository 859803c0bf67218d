package io.aircela.backend.cpu;

import io.aircela.tck.ProviderDeclarationContractTest;

class CpuProviderDeclarationsTest extends ProviderDeclarationContractTest {
    @Override
    protected Class<?> classOfModule() {
        return CpuBackendProvider.class;
    }
}
