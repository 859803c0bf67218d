package io.aircela.engine.tokenizer;

import io.aircela.ModelFormatException;
import io.aircela.UnsupportedModelException;
import io.aircela.weights.Metadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads and validates the {@code tokenizer.ggml.*} metadata into a {@link Vocabulary}, following
 * llama.cpp's {@code llama_vocab::impl::load} step by step: type defaults, key overrides, the by-name
 * detection of end-of-turn and fill-in-the-middle tokens (which also forces them to control type),
 * the end-of-generation set and the special-token cache. Malformed values are reported as
 * {@link ModelFormatException} naming the key; a tokenizer kind it does not implement as
 * {@link UnsupportedModelException}.
 */
final class VocabularyReader {
    private static final Logger LOG = LoggerFactory.getLogger(VocabularyReader.class);
    private static final String P = "tokenizer.ggml.";
    static final String MODEL = P + "model";
    static final String PRE = P + "pre";
    static final String TOKENS = P + "tokens";
    static final String SCORES = P + "scores";
    static final String TOKEN_TYPE = P + "token_type";
    static final String MERGES = P + "merges";

    /** Special-token roles, with their key, llama.cpp's defaults per kind and the texts it detects them by. */
    private enum Role {
        BOS("bos_token_id", null, 1, 11),
        EOS("eos_token_id", null, 2, 11),
        EOT("eot_token_id", null, -1, -1, "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                "<EOT>", "<｜end▁of▁sentence｜>"),
        EOM("eom_token_id", null, -1, -1, "<|eom_id|>"),
        UNK("unknown_token_id", null, 0, -1),
        FIM_PRE("fim_pre_token_id", "prefix_token_id", -1, -1, "<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>"),
        FIM_SUF("fim_suf_token_id", "suffix_token_id", -1, -1, "<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>", "<SUF>"),
        FIM_MID("fim_mid_token_id", "middle_token_id", -1, -1, "<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>", "<MID>"),
        FIM_PAD("fim_pad_token_id", null, -1, -1, "<|fim_pad|>", "<fim-pad>", "<PAD>"),
        FIM_REP("fim_rep_token_id", null, -1, -1, "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"),
        FIM_SEP("fim_sep_token_id", null, -1, -1, "<|file_sep|>");

        final String key;
        final String deprecatedKey;
        final int spmDefault;
        final int bpeDefault;
        final List<String> texts;

        Role(String key, String deprecatedKey, int spmDefault, int bpeDefault, String... texts) {
            this.key = P + key;
            this.deprecatedKey = deprecatedKey == null ? null : P + deprecatedKey;
            this.spmDefault = spmDefault;
            this.bpeDefault = bpeDefault;
            this.texts = List.of(texts);
        }
    }

    /** Texts llama.cpp treats as end of generation whatever their role. */
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>");

    private final Metadata md;
    private final Path file;

    private VocabularyReader(Metadata md, Path file) {
        this.md = md;
        this.file = file;
    }

    static Vocabulary read(Metadata md, Path file) {
        return new VocabularyReader(md, file).read();
    }

    private Vocabulary read() {
        String model = md.get(MODEL).map(v -> v instanceof String s ? s : null)
                .orElseThrow(() -> error(MODEL, "missing or not a string; the file carries no tokenizer"));
        Vocabulary.Kind kind = switch (model) {
            case "llama" -> Vocabulary.Kind.SPM;
            case "gpt2" -> Vocabulary.Kind.BPE;
            default -> throw new UnsupportedModelException(MODEL + " = '" + model + "' is not supported; supported: "
                    + "llama (SentencePiece BPE), gpt2 (byte-level BPE)");
        };
        PreTokenizer pre = kind == Vocabulary.Kind.BPE ? PreTokenizer.forName(optionalString(PRE)) : null;
        String[] pieces = readTokens();
        float[] scores = readScores(pieces.length);
        int[] attrs = readAttrs(pieces.length);
        String[] merges = kind == Vocabulary.Kind.BPE ? readMerges() : new String[0];
        Map<String, Integer> ids = index(pieces);

        EnumMap<Role, Integer> roles = readRoles(kind, pieces.length);
        Vocabulary.Flags flags = readFlags(kind, pre);
        detectRoles(roles, ids, attrs);
        BitSet eog = endOfGeneration(roles, ids, attrs);
        int[] special = specialCache(pieces, attrs);
        applyNameQuirks(pre, ids, attrs, special);

        Vocabulary.SpecialIds specialIds = new Vocabulary.SpecialIds(roles.get(Role.BOS), roles.get(Role.EOS),
                roles.get(Role.UNK));
        if (flags.addBos() && specialIds.bos() < 0) throw error(Role.BOS.key, "the vocabulary adds BOS but has no BOS token");
        if (flags.addEos() && specialIds.eos() < 0) throw error(Role.EOS.key, "the vocabulary adds EOS but has no EOS token");
        return new Vocabulary(kind, pre, pieces, scores, attrs, merges, ids, specialIds, flags, eog, special);
    }

    private String[] readTokens() {
        Object v = md.get(TOKENS).orElseThrow(() -> error(TOKENS, "missing; the file carries no vocabulary"));
        if (!(v instanceof String[] tokens)) throw error(TOKENS, "expected an array of strings, found " + typeName(v));
        if (tokens.length == 0) throw error(TOKENS, "the vocabulary is empty");
        String[] pieces = tokens.clone();
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == null || pieces[i].isEmpty()) pieces[i] = "[EMPTY_" + i + "]"; // as llama.cpp
        }
        return pieces;
    }

    private float[] readScores(int n) {
        Optional<Object> v = md.get(SCORES);
        if (v.isEmpty()) return new float[n];
        if (!(v.get() instanceof float[] scores)) throw error(SCORES, "expected an array of float32, found " + typeName(v.get()));
        if (scores.length != n) throw error(SCORES, "has " + scores.length + " entries for " + n + " tokens");
        return scores;
    }

    private int[] readAttrs(int n) {
        int[] attrs = new int[n];
        Optional<Object> v = md.get(TOKEN_TYPE);
        if (v.isEmpty()) {
            java.util.Arrays.fill(attrs, TokenAttr.NORMAL);
            return attrs;
        }
        if (!(v.get() instanceof long[] types)) throw error(TOKEN_TYPE, "expected an array of integers, found " + typeName(v.get()));
        if (types.length != n) throw error(TOKEN_TYPE, "has " + types.length + " entries for " + n + " tokens");
        for (int i = 0; i < n; i++) {
            if (types[i] < 0 || types[i] > TokenAttr.MAX_TOKEN_TYPE) {
                throw error(TOKEN_TYPE, "entry " + i + " is " + types[i] + "; expected 0..6 (1 normal, 2 unknown, "
                        + "3 control, 4 user-defined, 5 unused, 6 byte)");
            }
            attrs[i] = TokenAttr.fromTokenType(types[i]);
        }
        return attrs;
    }

    private String[] readMerges() {
        Object v = md.get(MERGES).orElseThrow(() -> error(MERGES, "missing; a gpt2 (BPE) tokenizer needs its merges"));
        if (!(v instanceof String[] merges)) throw error(MERGES, "expected an array of strings, found " + typeName(v));
        for (int i = 0; i < merges.length; i++) {
            // llama.cpp splits at the first space after position 0 ("  x" is " " + "x")
            if (merges[i] == null || merges[i].indexOf(' ', 1) < 0) {
                throw error(MERGES, "entry " + i + " '" + merges[i] + "' is not two tokens separated by a space");
            }
        }
        return merges;
    }

    private Map<String, Integer> index(String[] pieces) {
        Map<String, Integer> ids = HashMap.newHashMap(pieces.length);
        for (int i = 0; i < pieces.length; i++) {
            Integer previous = ids.putIfAbsent(pieces[i], i);
            if (previous != null) {
                throw error(TOKENS, "token '" + pieces[i] + "' appears twice (ids " + previous + " and " + i + ")");
            }
        }
        return ids;
    }

    private EnumMap<Role, Integer> readRoles(Vocabulary.Kind kind, int n) {
        EnumMap<Role, Integer> roles = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            int id = kind == Vocabulary.Kind.SPM ? role.spmDefault : role.bpeDefault;
            id = override(role.key, id, n);
            if (role.deprecatedKey != null) id = override(role.deprecatedKey, id, n);
            roles.put(role, id < n ? id : -1);
        }
        return roles;
    }

    /** A special id from {@code key}, or {@code id} when absent or out of range (llama.cpp warns and keeps it). */
    private int override(String key, int id, int n) {
        Optional<Object> v = md.get(key);
        if (v.isEmpty()) return id;
        if (!(v.get() instanceof Long value)) throw error(key, "expected an integer token id, found " + typeName(v.get()));
        if (value < 0 || value >= n) {
            LOG.warn("{}: {} = {} is outside the vocabulary (0..{}); keeping {}", file, key, value, n - 1, id);
            return id;
        }
        return value.intValue();
    }

    private Vocabulary.Flags readFlags(Vocabulary.Kind kind, PreTokenizer pre) {
        boolean spm = kind == Vocabulary.Kind.SPM;
        boolean addBos = flag(P + "add_bos_token", spm || pre.addsBos());
        boolean addEos = flag(P + "add_eos_token", false);
        boolean addSpacePrefix = flag(P + "add_space_prefix", spm);
        return new Vocabulary.Flags(addBos, addEos, addSpacePrefix);
    }

    private boolean flag(String key, boolean dflt) {
        Optional<Object> v = md.get(key);
        if (v.isEmpty()) return dflt;
        if (!(v.get() instanceof Boolean b)) throw error(key, "expected a bool, found " + typeName(v.get()));
        return b;
    }

    /**
     * llama.cpp finds unset roles by token text and forces the found token to control type. Where several
     * tokens qualify it takes the first in hash-map order; this takes the lowest id.
     */
    private static void detectRoles(EnumMap<Role, Integer> roles, Map<String, Integer> ids, int[] attrs) {
        for (Role role : Role.values()) {
            if (role.texts.isEmpty() || roles.get(role) >= 0) continue;
            int found = role.texts.stream().map(ids::get).filter(java.util.Objects::nonNull)
                    .min(Integer::compare).orElse(-1);
            if (found >= 0) {
                roles.put(role, found);
                attrs[found] = forceControl(attrs[found]);
            }
        }
    }

    private static BitSet endOfGeneration(EnumMap<Role, Integer> roles, Map<String, Integer> ids, int[] attrs) {
        BitSet eog = new BitSet(attrs.length);
        for (Role role : List.of(Role.FIM_PAD, Role.FIM_REP, Role.FIM_SEP, Role.EOS, Role.EOT, Role.EOM)) {
            if (roles.get(role) >= 0) eog.set(roles.get(role));
        }
        for (String text : EOG_TEXTS) {
            Integer id = ids.get(text);
            if (id != null) {
                eog.set(id);
                attrs[id] = forceControl(attrs[id]);
            }
        }
        return eog;
    }

    /** llama.cpp sets the CONTROL bit and keeps the others. */
    private static int forceControl(int attr) {
        return attr | TokenAttr.CONTROL;
    }

    /** Tokens matched in raw text, longest UTF-8 text first (llama.cpp's sort is unstable; ties go by id here). */
    private static int[] specialCache(String[] pieces, int[] attrs) {
        List<int[]> lengths = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            if ((attrs[id] & (TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN)) != 0) {
                lengths.add(new int[] {id, Vocabulary.utf8Length(pieces[id])});
            }
        }
        lengths.sort(Comparator.<int[]>comparingInt(e -> -e[1]).thenComparingInt(e -> e[0]));
        return lengths.stream().mapToInt(e -> e[0]).toArray();
    }

    /** llama.cpp's per-model strip attributes, chosen by pre-tokenizer name or general.name. */
    private void applyNameQuirks(PreTokenizer pre, Map<String, Integer> ids, int[] attrs, int[] special) {
        String preName = optionalString(PRE);
        String name = optionalString("general.name");
        name = name == null ? "" : name.toLowerCase(Locale.ROOT);
        if (pre != null && preName != null && (preName.contains("jina-v2-de") || preName.contains("jina-v2-es")
                || preName.contains("jina-v2-code"))) {
            setAttr(ids, attrs, "<mask>", TokenAttr.LSTRIP, true);
        } else if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : special) attrs[id] |= TokenAttr.RSTRIP;
            setAttr(ids, attrs, "</s>", TokenAttr.RSTRIP, true);
            for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) setAttr(ids, attrs, t, TokenAttr.RSTRIP, false);
        }
    }

    private static void setAttr(Map<String, Integer> ids, int[] attrs, String text, int attr, boolean on) {
        Integer id = ids.get(text);
        if (id != null) attrs[id] = on ? attrs[id] | attr : attrs[id] & ~attr;
    }

    private String optionalString(String key) {
        Optional<Object> v = md.get(key);
        if (v.isEmpty()) return null;
        if (!(v.get() instanceof String s)) throw error(key, "expected a string, found " + typeName(v.get()));
        return s;
    }

    private ModelFormatException error(String key, String problem) {
        return new ModelFormatException(file, key, -1, problem);
    }

    private static String typeName(Object v) {
        return v == null ? "nothing" : v.getClass().getSimpleName();
    }
}
