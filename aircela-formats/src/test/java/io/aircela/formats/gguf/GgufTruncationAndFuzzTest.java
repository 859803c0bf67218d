package io.aircela.formats.gguf;

import io.aircela.ModelFormatException;
import io.aircela.weights.TensorInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every prefix of a valid file, and thousands of single-byte mutations of it, must either open or fail
 * with a {@link ModelFormatException}: never another exception, an {@link Error}, or a hang.
 */
class GgufTruncationAndFuzzTest {
    private static final int MUTATIONS = 2000;
    private static final byte[] INTERESTING = {0, 1, 2, 3, 4, 5, 9, 12, 13, 31, 32, 33, (byte) 0x7F, (byte) 0x80,
            (byte) 0xFE, (byte) 0xFF};

    @TempDir
    Path dir;

    /**
     * What opening these bytes did: null = opened (and every tensor was readable), "" = a proper
     * ModelFormatException, else what went wrong. The file is rewritten through one open channel:
     * truncating with Files.write costs milliseconds on some file systems, this costs microseconds.
     */
    private String outcome(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ByteBuffer bb = ByteBuffer.wrap(bytes);
            while (bb.hasRemaining()) ch.write(bb, bb.position());
        }
        try (GgufWeightSource s = GgufWeightSource.open(file)) {
            for (TensorInfo t : s.tensors())
                if (t.byteSize() > 0) s.view(t).get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            s.config();
            return null;
        } catch (ModelFormatException e) {
            if (e.field() == null || e.field().isEmpty()) return "no field named: " + e.getMessage();
            if (e.file() == null || !e.file().equals(file)) return "no file named: " + e.getMessage();
            return "";
        } catch (Throwable t) { // Errors included: that is exactly what this test hunts
            return "unexpected " + t;
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void everyTruncationIsAModelFormatException(int version) {
        byte[] good = TinyGguf.llama(version).build();
        Path file = dir.resolve("cut.gguf");
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            assertEquals(null, outcome(file, good), "the untruncated file opens");
            List<String> wrong = new ArrayList<>();
            for (int len = 0; len < good.length; len++) {
                String o = outcome(file, Arrays.copyOf(good, len));
                if (o == null) wrong.add(len + ": opened");
                else if (!o.isEmpty()) wrong.add(len + ": " + o);
            }
            assertTrue(wrong.isEmpty(), good.length + "-byte file, bad truncations: " + wrong);
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void singleByteMutationsOpenOrFailCleanly(int version) {
        GgufBuilder b = TinyGguf.llama(version);
        byte[] good = b.build();
        int headerEnd = (int) b.mark("data");
        Path file = dir.resolve("mutant.gguf");
        Random random = new Random(0xA1C31AL + version);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            List<String> wrong = new ArrayList<>();
            int rejected = 0;
            for (int i = 0; i < MUTATIONS; i++) {
                byte[] mutant = good.clone();
                // the header is where parsing decisions are made: mutate it four times as often as the data
                int at = random.nextInt(5) < 4 ? random.nextInt(headerEnd) : random.nextInt(good.length);
                byte value = random.nextBoolean() ? INTERESTING[random.nextInt(INTERESTING.length)]
                        : (byte) random.nextInt(256);
                mutant[at] = value;
                String o = outcome(file, mutant);
                if (o != null && !o.isEmpty()) wrong.add("byte " + at + " := " + (value & 0xFF) + ": " + o);
                if (o != null) rejected++;
            }
            assertTrue(wrong.isEmpty(), "mutations that escaped as something else: " + wrong);
            // the mutations must have exercised the checks, not only landed in ignorable bytes
            assertTrue(rejected > MUTATIONS / 10, "only " + rejected + " of " + MUTATIONS + " mutants were rejected");
        });
    }
}
