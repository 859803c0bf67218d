package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

class Q6_KDequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new Q6_KDequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {208}; // d
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::q6_K);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.q6_K();
    }
}
