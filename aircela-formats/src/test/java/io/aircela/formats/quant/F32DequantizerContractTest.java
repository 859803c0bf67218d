package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.tck.DequantizerContractTest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.Random;

class F32DequantizerContractTest extends DequantizerContractTest {
    @Override
    protected Dequantizer dequantizer() {
        return new F32Dequantizer();
    }

    @Override
    protected byte[] randomBlock(Random rnd) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) rnd.nextGaussian()).array();
    }

    @Override
    protected Optional<byte[]> zeroScaleBlock(Random rnd) {
        return Optional.of(new byte[4]); // a plain type's "scale" is the value
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(ReferenceDecoders::f32);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        return List.of(new KnownBlock("F32 -1.5", new byte[] {0, 0, (byte) 0xC0, (byte) 0xBF}, new float[] {-1.5f}));
    }
}
