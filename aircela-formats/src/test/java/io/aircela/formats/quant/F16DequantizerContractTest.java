package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

class F16DequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new F16Dequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {0}; // the value itself
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::f16);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.f16();
    }
}
