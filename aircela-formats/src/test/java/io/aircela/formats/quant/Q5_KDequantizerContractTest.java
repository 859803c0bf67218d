package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

class Q5_KDequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new Q5_KDequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {0, 2}; // d, dmin
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::q5_K);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.q5_K();
    }
}
