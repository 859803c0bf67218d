package io.aircela.cli;

import io.aircela.AirCelaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code aircela} command: the composition root that names concrete adapters only at run time. */
@Command(name = "aircela", mixinStandardHelpOptions = true, version = "aircela 0.1.0",
        description = "Runs large language models on machines whose memory is smaller than the model.",
        subcommands = {RunCommand.class, ChatCommand.class, ScoreCommand.class, TokenizeCommand.class, ListCommand.class,
                InspectCommand.class, BackendsCommand.class, BenchCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line; tests redirect its output with {@code setOut}/{@code setErr}. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handle);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        return cli;
    }

    /**
     * Errors are one line on stderr (what, where, what to do) and exit code 1; the stack trace
     * only with {@code --verbose}. An unexpected exception still gets one line, marked as a bug.
     */
    private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        boolean verbose = parsed.hasMatchedOption("--verbose")
                || parsed.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
        if (e instanceof AirCelaException) {
            err.println("aircela: error: " + e.getMessage());
        } else {
            err.println("aircela: internal error (please report): " + e);
        }
        if (verbose) e.printStackTrace(err);
        else if (!(e instanceof AirCelaException)) err.println("aircela: run again with --verbose for details");
        err.flush();
        return 1;
    }

    /**
     * A bad or missing flag is one line on stderr naming the flag and where to read more, exit code 2
     * (the usage text itself only on {@code --help}, so the error is not lost above it).
     */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("aircela: error: " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
