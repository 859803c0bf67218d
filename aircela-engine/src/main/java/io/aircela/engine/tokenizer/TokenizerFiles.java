package io.aircela.engine.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aircela.AirCelaException;
import io.aircela.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tokenizer files of an HF model folder ({@code tokenizer.json}, {@code tokenizer_config.json},
 * {@code generation_config.json}) read as untrusted input: each resolved to a real path that stays inside
 * the folder (or, for a HuggingFace cache snapshot, inside {@code models--org--name}, whose snapshots are
 * symlinks into its blobs), at most {@value #MAX_BYTES} bytes, strict UTF-8, JSON nested at most
 * {@value #MAX_DEPTH} deep, duplicate keys refused. Stateless; thread-safe.
 */
final class TokenizerFiles {
    static final String TOKENIZER = "tokenizer.json";
    static final String CONFIG = "tokenizer_config.json";
    static final String GENERATION = "generation_config.json";
    /** Largest file read: real tokenizer.json files are 2-30 MB. */
    static final int MAX_BYTES = 256 << 20;
    static final int MAX_DEPTH = 64;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH).maxDocumentLength(MAX_BYTES).maxStringLength(MAX_BYTES).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private TokenizerFiles() {
    }

    /** Whether {@code folder} is a folder with a {@code tokenizer.json}. */
    static boolean hasTokenizer(Path folder) {
        return folder != null && Files.isDirectory(folder) && Files.isRegularFile(folder.resolve(TOKENIZER));
    }

    /** {@code name} in {@code folder} as a checked real path, or null when it does not exist. */
    static Path find(Path folder, String name) {
        Path p = folder.resolve(name);
        if (!Files.exists(p)) return null;
        try {
            Path dir = folder.toRealPath();
            Path real = p.toRealPath();
            if (!real.startsWith(boundary(dir)) || !Files.isRegularFile(real))
                throw new ModelFormatException(p, "", -1, "resolves to " + real + ", outside the model folder " + dir
                        + " or not a regular file; AirCELA never reads files outside the model folder");
            return real;
        } catch (IOException e) {
            throw new AirCelaException("cannot open " + p + ": " + e.getMessage(), e);
        }
    }

    /** The folder nothing may leave: the model folder, or the repository folder of an HF cache snapshot. */
    private static Path boundary(Path dir) {
        Path snapshots = dir.getParent();
        Path repo = snapshots == null ? null : snapshots.getParent();
        if (repo != null && snapshots.getFileName().toString().equals("snapshots")
                && repo.getFileName().toString().startsWith("models--")) return repo;
        return dir;
    }

    /** The file's text, checked to be at most {@value #MAX_BYTES} bytes of valid UTF-8. */
    static String readText(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES)
                throw new ModelFormatException(file, "", -1, size + " bytes; tokenizer files larger than " + MAX_BYTES
                        + " bytes are refused");
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length > MAX_BYTES) throw new ModelFormatException(file, "", -1, "grew past " + MAX_BYTES + " bytes");
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, "", -1, "not valid UTF-8 text; expected JSON", e);
        } catch (IOException e) {
            throw new AirCelaException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses {@code text} (of {@code file}) as one JSON object. */
    static JsonNode parseObject(Path file, String text) {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new ModelFormatException(file, "", e.getLocation() == null ? -1 : e.getLocation().getCharOffset(),
                    "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject())
            throw new ModelFormatException(file, "", 0, "expected a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        return root;
    }

    /** The JSON object in {@code folder/name}, or null when the file does not exist. */
    static JsonNode readOptional(Path folder, String name) {
        Path p = find(folder, name);
        return p == null ? null : parseObject(p, readText(p));
    }
}
