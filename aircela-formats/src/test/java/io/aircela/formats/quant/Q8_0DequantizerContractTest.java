package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

class Q8_0DequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new Q8_0Dequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {0}; // d
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::q8_0);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.q8_0();
    }
}
