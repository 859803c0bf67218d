package io.aircela.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;

/** Runs the CLI in-process and captures stdout, stderr and the exit code. */
record CliRun(int exitCode, String out, String err) {
    static CliRun of(String... args) {
        return withInput(null, args);
    }

    /** As {@link #of}, with {@code stdin} as what {@code chat} reads (null: leave the command's default). */
    static CliRun withInput(String stdin, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        if (stdin != null) {
            ChatCommand chat = cli.getSubcommands().get("chat").getCommand();
            chat.input = new StringReader(stdin);
        }
        int rc = cli.execute(args);
        return new CliRun(rc, out.toString(), err.toString());
    }

    /**
     * The stderr lines, without the JVM's incubator warning and without the memory plan that run, chat and
     * score print before the first token when a budget is given or layers are streamed (see {@link #planLines()}).
     */
    String[] errLines() {
        return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .filter(l -> !l.startsWith("plan: ")).toArray(String[]::new);
    }

    /** The memory-plan lines on stderr. */
    String[] planLines() {
        return err.lines().filter(l -> l.startsWith("plan: ")).toArray(String[]::new);
    }
}
