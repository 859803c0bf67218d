package io.aircela.cli;

import io.aircela.engine.tokenizer.HfTokenizer;
import io.aircela.engine.tokenizer.Tokenizer;
import io.aircela.engine.store.ModelLocator;
import io.aircela.provider.Providers;
import io.aircela.weights.WeightSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code aircela tokenize -m MODEL --text TEXT}: the token ids of a text as the model's tokenizer
 * gives them. Reads only the file's tokenizer metadata (the weights are never loaded), so it works
 * on vocabulary-only GGUF files too.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print the token ids (and vocabulary pieces) of a text; works on vocabulary-only files.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "model or vocabulary file (GGUF)")
    String model;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "text to tokenize")
    String text;

    @Option(names = "--no-bos", description = "add no BOS/EOS (by default they are added as the vocabulary says)")
    boolean noBos;

    @Option(names = "--special", description = "recognise control-token texts (e.g. <|im_start|>) in the text")
    boolean special;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Tokenizer tok;
        try (WeightSource source = Providers.open(ModelLocator.fromEnvironment().resolve(model))) {
            tok = Tokenizer.forModel(source.metadata(), source.path()); // tokenizer.json for HF folders
        }
        int[] ids;
        try {
            ids = tok.encode(text, !noBos, special);
        } finally {
            if (tok instanceof HfTokenizer hf) hf.close();
        }
        String[] pieces = new String[ids.length];
        for (int i = 0; i < ids.length; i++) pieces[i] = tok.piece(ids[i]);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("token_ids", ids);
            r.put("pieces", pieces);
            out.println(Json.write(r));
        } else {
            for (int i = 0; i < ids.length; i++)
                out.println(String.format(Locale.ROOT, "%7d -> %s", ids[i], ScoreCommand.quote(pieces[i])));
            out.println(ids.length + " tokens");
        }
        out.flush();
        return 0;
    }
}
