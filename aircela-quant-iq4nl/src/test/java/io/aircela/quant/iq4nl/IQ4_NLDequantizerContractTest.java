package io.aircela.quant.iq4nl;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.Fp16;
import io.aircela.tck.DequantizerContractTest;

import java.util.List;
import java.util.Optional;

/** The plug-in passes the same contract as the built-in formats. */
class IQ4_NLDequantizerContractTest extends DequantizerContractTest {
    /** ggml's kvalues_iq4nl, restated here so the test does not read the table under test. */
    static final int[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    @Override
    protected Dequantizer dequantizer() {
        return new IQ4_NLDequantizer();
    }

    @Override
    protected int[] halfScaleOffsets() {
        return new int[] {0}; // d
    }

    /** One weight at a time: weight e uses the low nibble of qs[e] (e < 16) or the high nibble of qs[e-16]. */
    static float[] reference(byte[] b) {
        float d = Fp16.toFloat((short) ((b[0] & 0xFF) | (b[1] & 0xFF) << 8));
        float[] y = new float[32];
        for (int e = 0; e < 32; e++) {
            int v = b[2 + e % 16] & 0xFF;
            y[e] = d * LEVELS[e < 16 ? v & 0xF : v >> 4];
        }
        return y;
    }

    @Override
    protected Optional<BlockDecoder> referenceDecoder() {
        return Optional.of(IQ4_NLDequantizerContractTest::reference);
    }

    @Override
    protected List<KnownBlock> knownBlocks() {
        byte[] b = new byte[18];
        b[0] = 0x00;
        b[1] = (byte) 0xB8; // d = -0.5
        float[] y = new float[32];
        for (int j = 0; j < 16; j++) {
            b[2 + j] = (byte) (j | (15 - j) << 4);
            y[j] = -0.5f * LEVELS[j];
            y[j + 16] = -0.5f * LEVELS[15 - j];
        }
        return List.of(new KnownBlock("IQ4_NL d=-0.5, indices 0..15 / 15..0", b, y));
    }
}
