package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

class Q4_KDequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new Q4_KDequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {0, 2}; // d, dmin
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::q4_K);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.q4_K();
    }
}
