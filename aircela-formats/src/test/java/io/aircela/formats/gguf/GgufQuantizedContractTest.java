package io.aircela.formats.gguf;

import io.aircela.tck.SharedTestData;
import io.aircela.tck.WeightSourceContractTest;
import io.aircela.weights.WeightSource;

/** The weight-source contract on a block-quantized model (Q4_K weights, F32 norms), opened via the provider. */
class GgufQuantizedContractTest extends WeightSourceContractTest {
    @Override
    protected WeightSource openSample() {
        return new GgufWeightSourceProvider().open(SharedTestData.require("models/synth/tiny-q4_k.gguf"));
    }
}
