package io.aircela.formats.gguf;

import io.aircela.tck.SharedTestData;
import io.aircela.tck.WeightSourceContractTest;
import io.aircela.weights.WeightSource;

/** The weight-source contract on a real F32 model (stories260k, GGUF v3). */
class GgufStoriesContractTest extends WeightSourceContractTest {
    @Override
    protected WeightSource openSample() {
        return GgufWeightSource.open(SharedTestData.require("models/stories260k.gguf"));
    }
}
