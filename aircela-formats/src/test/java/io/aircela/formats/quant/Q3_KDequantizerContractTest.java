package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

class Q3_KDequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new Q3_KDequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {108}; // d
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::q3_K);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.q3_K();
    }
}
