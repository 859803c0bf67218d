package io.aircela.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code aircela} command. */
@Command(name = "aircela", mixinStandardHelpOptions = true, version = "aircela 0.1.0",
        description = "Runs large language models on machines whose memory is smaller than the model.",
        subcommands = {})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
