package io.aircela.backend.opencl;

import io.aircela.tck.ProviderDeclarationContractTest;

class OpenClProviderDeclarationsTest extends ProviderDeclarationContractTest {
    @Override
    protected Class<?> classOfModule() {
        return OpenClBackendProvider.class;
    }
}
