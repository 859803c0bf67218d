package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

class Q2_KDequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new Q2_KDequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {80, 82}; // d, dmin
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::q2_K);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.q2_K();
    }
}
