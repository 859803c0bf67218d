package io.aircela.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.aircela.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The vocabulary of a {@code tokenizer.json} ({@code model.vocab} of a BPE, WordPiece, WordLevel or Unigram
 * model, plus {@code added_tokens}), and the bytes each token contributes to output text. Ids absent from
 * the file (holes) have an empty piece and no bytes. Immutable; thread-safe.
 */
final class HfVocabulary {
    private static final byte[] NONE = new byte[0];

    private final String[] pieces;
    private final byte[][] bytes;
    private final BitSet special;
    private final Map<String, Integer> ids;

    private HfVocabulary(String[] pieces, byte[][] bytes, BitSet special, Map<String, Integer> ids) {
        this.pieces = pieces;
        this.bytes = bytes;
        this.special = special;
        this.ids = ids;
    }

    /** Reads the vocabulary of the parsed {@code tokenizer.json} {@code root}. */
    static HfVocabulary read(Path file, JsonNode root) {
        JsonNode model = root.get("model");
        if (model == null || !model.isObject())
            throw new ModelFormatException(file, "model", -1, "expected an object with the tokenizer model, found "
                    + kind(model));
        Map<String, Integer> ids = new HashMap<>();
        BitSet special = new BitSet();
        Map<Integer, String> byId = new HashMap<>();
        readModelVocab(file, model, byId);
        readAddedTokens(file, root.get("added_tokens"), byId, special);
        int size = 0;
        for (int id : byId.keySet()) size = Math.max(size, id + 1);
        if (size == 0) throw new ModelFormatException(file, "model.vocab", -1, "empty vocabulary");
        String[] pieces = new String[size];
        for (Map.Entry<Integer, String> e : byId.entrySet()) pieces[e.getKey()] = e.getValue();
        for (int i = 0; i < size; i++) if (pieces[i] != null) ids.putIfAbsent(pieces[i], i); // lowest id wins
        byte[][] bytes = outputBytes(root, model, pieces, special);
        for (int i = 0; i < size; i++) if (pieces[i] == null) pieces[i] = "";
        return new HfVocabulary(pieces, bytes, special, ids);
    }

    private static void readModelVocab(Path file, JsonNode model, Map<Integer, String> byId) {
        JsonNode vocab = model.get("vocab");
        if (vocab != null && vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties())
                byId.put(checkId(file, "model.vocab." + e.getKey(), e.getValue()), e.getKey());
        } else if (vocab != null && vocab.isArray()) { // Unigram: [[piece, score], ...], id = position
            if (vocab.size() > HfTokenizer.MAX_VOCAB)
                throw new ModelFormatException(file, "model.vocab", -1, vocab.size() + " tokens, more than "
                        + HfTokenizer.MAX_VOCAB);
            for (int i = 0; i < vocab.size(); i++) {
                JsonNode entry = vocab.get(i);
                if (!entry.isArray() || entry.isEmpty() || !entry.get(0).isTextual())
                    throw new ModelFormatException(file, "model.vocab[" + i + "]", -1, "expected [piece, score], found "
                            + kind(entry));
                byId.put(i, entry.get(0).textValue());
            }
        } else {
            throw new ModelFormatException(file, "model.vocab", -1, "expected an object of piece to id or a list of "
                    + "[piece, score], found " + kind(vocab));
        }
    }

    private static void readAddedTokens(Path file, JsonNode added, Map<Integer, String> byId, BitSet special) {
        if (added == null || added.isNull()) return;
        if (!added.isArray())
            throw new ModelFormatException(file, "added_tokens", -1, "expected a list, found " + kind(added));
        for (int i = 0; i < added.size(); i++) {
            JsonNode t = added.get(i);
            String field = "added_tokens[" + i + "]";
            JsonNode content = t.get("content");
            if (content == null || !content.isTextual())
                throw new ModelFormatException(file, field + ".content", -1, "expected the token text, found "
                        + kind(content));
            int id = checkId(file, field + ".id", t.get("id"));
            byId.put(id, content.textValue());
            JsonNode sp = t.get("special");
            if (sp != null && sp.asBoolean(false)) special.set(id);
        }
    }

    /**
     * The JSON text of {@code root} without the added tokens marked special (the model's own vocabulary keeps
     * them, so ids do not move), or null when there are none. {@code root} is not modified.
     */
    static String withoutSpecialAddedTokens(JsonNode root) {
        JsonNode added = root.get("added_tokens");
        if (added == null || !added.isArray()) return null;
        com.fasterxml.jackson.databind.node.ArrayNode kept = com.fasterxml.jackson.databind.node.JsonNodeFactory
                .instance.arrayNode();
        for (JsonNode t : added) if (!t.path("special").asBoolean(false)) kept.add(t);
        if (kept.size() == added.size()) return null;
        com.fasterxml.jackson.databind.node.ObjectNode copy = ((com.fasterxml.jackson.databind.node.ObjectNode) root)
                .deepCopy();
        copy.set("added_tokens", kept);
        return copy.toString();
    }

    private static int checkId(Path file, String field, JsonNode id) {
        if (id == null || !id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0
                || id.intValue() >= HfTokenizer.MAX_VOCAB)
            throw new ModelFormatException(file, field, -1, "expected a token id in [0, " + HfTokenizer.MAX_VOCAB
                    + "), found " + (id == null ? "nothing" : id.toString()));
        return id.intValue();
    }

    /** Output bytes per token, as llama.cpp's token_to_piece makes them for this kind of vocabulary. */
    private static byte[][] outputBytes(JsonNode root, JsonNode model, String[] pieces, BitSet special) {
        boolean byteLevel = mentions(root.get("decoder"), "ByteLevel") || mentions(root.get("pre_tokenizer"), "ByteLevel");
        boolean byteFallback = model.path("byte_fallback").asBoolean(false) || mentions(root.get("decoder"), "ByteFallback");
        byte[][] out = new byte[pieces.length][];
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            if (p == null || special.get(id)) out[id] = NONE;
            else if (byteLevel) out[id] = ByteLevel.decode(p);
            else if (byteFallback && isByteToken(p)) out[id] = new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
            else out[id] = p.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    /** Whether a decoder/pre-tokenizer node is, or is a Sequence containing, one of {@code type}. */
    private static boolean mentions(JsonNode node, String type) {
        if (node == null || !node.isObject()) return false;
        if (type.equals(node.path("type").asText())) return true;
        for (String list : new String[] {"decoders", "pretokenizers"}) {
            JsonNode children = node.get(list);
            if (children != null && children.isArray())
                for (JsonNode c : children) if (mentions(c, type)) return true;
        }
        return false;
    }

    private static boolean isByteToken(String p) {
        return p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")
                && Character.digit(p.charAt(3), 16) >= 0 && Character.digit(p.charAt(4), 16) >= 0;
    }

    private static String kind(JsonNode n) {
        return n == null ? "nothing" : n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    int size() {
        return pieces.length;
    }

    /** The id of a token text, or -1. */
    int idOf(String piece) {
        return ids.getOrDefault(piece, -1);
    }

    boolean isSpecial(int id) {
        return special.get(id);
    }

    String piece(int id) {
        return pieces[java.util.Objects.checkIndex(id, pieces.length)];
    }

    /** The shared (not to be modified) bytes of token {@code id}. */
    byte[] bytes(int id) {
        return bytes[java.util.Objects.checkIndex(id, bytes.length)];
    }
}
