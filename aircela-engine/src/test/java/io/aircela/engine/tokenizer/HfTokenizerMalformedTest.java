package io.aircela.engine.tokenizer;

import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;
import io.aircela.tck.SharedTestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokenizer files as untrusted input: each problem a typed error naming the file and key. */
class HfTokenizerMalformedTest {
    static final String TINY = """
            {"version":"1.0","added_tokens":[{"id":0,"content":"<s>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
             "normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
             "model":{"type":"WordLevel","vocab":{"<s>":0,"hello":1,"world":2,"[UNK]":3},"unk_token":"[UNK]"}}
            """;

    @TempDir
    Path dir;

    private ModelFormatException fails(String tokenizerJson, String config) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson);
        if (config != null) Files.writeString(dir.resolve("tokenizer_config.json"), config);
        return assertThrows(ModelFormatException.class, () -> HfTokenizer.open(dir).close());
    }

    @Test
    void aMinimalTokenizerWorks() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), TINY);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\":\"<s>\",\"add_bos_token\":true}");
        try (HfTokenizer t = HfTokenizer.open(dir)) {
            assertArrayEquals(new int[] {0, 1, 2}, t.encode("hello world"));
            assertEquals(4, t.vocabSize());
            assertTrue(t.addsBos());
            assertEquals(-1, t.eosId());
        }
    }

    @Test
    void structuralProblemsNameTheKey() throws IOException {
        assertTrue(fails("{}", null).getMessage().contains("model"));
        assertTrue(fails("{\"model\":{\"type\":\"BPE\",\"vocab\":7}}", null).getMessage().contains("model.vocab"));
        assertTrue(fails("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-1}}}", null).getMessage().contains("model.vocab.a"));
        assertTrue(fails("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":1.5}}}", null).getMessage().contains("model.vocab.a"));
        assertTrue(fails("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":99999999999}}}", null).getMessage()
                .contains("model.vocab.a"));
        assertTrue(fails("{\"model\":{\"type\":\"BPE\",\"vocab\":{}}}", null).getMessage().contains("empty"));
        assertTrue(fails("{\"model\":{\"vocab\":{\"a\":0}},\"added_tokens\":[{\"id\":1}]}", null).getMessage()
                .contains("added_tokens[0].content"));
        assertTrue(fails("{\"model\":{\"vocab\":[[1,2]]}}", null).getMessage().contains("model.vocab[0]"));
    }

    @Test
    void syntaxEncodingAndDepthProblemsAreFormatErrors() throws IOException {
        fails("{\"model\":", null);
        fails("[1,2]", null);
        fails("{\"a\":1,\"a\":2}", null);
        fails("[".repeat(100_000), null);
        Files.write(dir.resolve("tokenizer.json"), new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'});
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.open(dir));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void theRustLibraryRefusingTheJsonIsAFormatError() throws IOException {
        // our reader accepts it (a vocabulary is there) but the model type is unknown to tokenizers
        fails("{\"model\":{\"type\":\"NoSuchModel\",\"vocab\":{\"a\":0}}}", null);
    }

    @Test
    void configProblemsNameTheConfigKey() throws IOException {
        assertTrue(fails(TINY, "{\"bos_token\":\"<nope>\"}").getMessage().contains("bos_token"));
        assertTrue(fails(TINY, "{\"eos_token\":5}").getMessage().contains("eos_token"));
        assertTrue(fails(TINY, "{\"add_bos_token\":\"yes\"}").getMessage().contains("add_bos_token"));
        assertTrue(fails(TINY, "not json").getMessage().contains("tokenizer_config.json"));
    }

    @Test
    void bosTokenObjectsAndEosListsAreRead() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), TINY);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\":{\"content\":\"<s>\",\"special\":true},\"eos_token\":\"world\",\"add_bos_token\":false}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\":[1,2,77]}");
        try (HfTokenizer t = HfTokenizer.open(dir)) {
            assertEquals(0, t.bosId());
            assertEquals(2, t.eosId());
            assertFalse(t.addsBos());
            assertTrue(t.isEndOfGeneration(1) && t.isEndOfGeneration(2));
            assertFalse(t.isEndOfGeneration(0));
            assertArrayEquals(new int[] {1}, t.encode("hello"));
        }
    }

    @Test
    void aTokenizerLinkLeavingTheFolderIsRefused() throws IOException {
        Path outside = Files.writeString(dir.resolve("outside.json"), TINY);
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.createSymbolicLink(model.resolve("tokenizer.json"), outside);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.open(model));
        assertTrue(e.getMessage().contains("outside the model folder"), e.getMessage());
    }

    @Test
    void hfCacheSnapshotsMayLinkIntoTheirBlobs() throws IOException {
        Path repo = dir.resolve("models--org--name");
        Path blob = Files.writeString(Files.createDirectories(repo.resolve("blobs")).resolve("abc"), TINY);
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve("0123456"));
        Files.createSymbolicLink(snap.resolve("tokenizer.json"), snap.relativize(blob));
        assertDoesNotThrow(() -> HfTokenizer.open(snap).close());
    }

    @Test
    void aCudaFlavorIsRefusedBecauseDjlWouldDownloadIt() {
        assertDoesNotThrow(() -> DjlTokenizers.checkFlavor(null));
        assertDoesNotThrow(() -> DjlTokenizers.checkFlavor("cpu"));
        AirCelaException e = assertThrows(AirCelaException.class, () -> DjlTokenizers.checkFlavor("cu124"));
        assertTrue(e.getMessage().contains("RUST_FLAVOR") && e.getMessage().contains("download"), e.getMessage());
    }

    @Test
    void aFolderWithoutTokenizerJsonIsNotPresent() {
        assertFalse(HfTokenizer.isPresent(dir));
        assertFalse(HfTokenizer.isPresent(null));
        assertTrue(HfTokenizer.isPresent(SharedTestData.require("models/hf/gpt2-tokenizer")));
    }
}
