package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;
import java.util.Random;

class BF16DequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new BF16Dequantizer();
    }

    @Override
    protected byte[] randomBlock(Random rnd) {
        // sign, 7 mantissa bits, and an exponent within 2^-60 .. 2^67 (finite, far from overflow in dot)
        int bits = rnd.nextInt(2) << 15 | (127 - 60 + rnd.nextInt(128)) << 7 | rnd.nextInt(128);
        return new byte[] {(byte) bits, (byte) (bits >>> 8)};
    }

    @Override
    protected Optional<byte[]> zeroScaleBlock(Random rnd) {
        return Optional.of(new byte[2]);
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::bf16);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return KnownBlocks.bf16();
    }
}
