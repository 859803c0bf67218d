package io.aircela.formats;

import io.aircela.formats.gguf.GgufWeightSourceProvider;
import io.aircela.tck.ProviderDeclarationContractTest;

class FormatsProviderDeclarationsTest extends ProviderDeclarationContractTest {
    @Override
    protected Class<?> classOfModule() {
        return GgufWeightSourceProvider.class;
    }
}
