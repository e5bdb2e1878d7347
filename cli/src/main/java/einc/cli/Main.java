package einc.cli;

import einc.ir.EincException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code einc} command: parses the command line, runs a subcommand, and turns what went wrong
 * into an exit status. A user's mistake prints its diagnostics and exits 1; anything else is an
 * internal error that exits 2 with one line (the stack trace only with {@code --debug}).
 */
@Command(name = "einc",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Compiles attention variants written as cascades of einsums (.ein files).",
        synopsisSubcommandLabel = "COMMAND")
public final class Main implements Callable<Integer> {

    /** The subcommands, in the order {@code --help} lists them; adding one is adding its class here. */
    static final List<Class<?>> COMMANDS = List.of(CheckCommand.class, ExplainCommand.class, RunCommand.class, CompileCommand.class, BenchCommand.class);

    static final int OK = 0;
    static final int USER_ERROR = 1;
    static final int INTERNAL_ERROR = 2;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print the stack trace of an internal error.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int status = execute(commandLine(out, err), args);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs {@code args} on {@code cli} and returns the exit status; errors picocli lets through (out of memory) are internal too. */
    static int execute(CommandLine cli, String... args) {
        try {
            return cli.execute(args);
        } catch (Throwable e) {
            return internalError(e, cli.getErr(), cli.<Main>getCommand().debug);
        }
    }

    /** A configured command line that prints to {@code out} and {@code err}: what {@link #main} runs, and tests too. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main);
        for (Class<?> command : COMMANDS) cli.addSubcommand(command);
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter w = cli.getErr();
            w.println("einc: error: " + firstLine(e.getMessage()));
            w.println("try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
            w.flush();
            return USER_ERROR;
        });
        cli.setExecutionExceptionHandler((e, failed, parseResult) -> {
            PrintWriter w = cli.getErr();
            if (e instanceof EincException user) {
                w.print(user.render());
                w.flush();
                return USER_ERROR;
            }
            return internalError(e, w, main.debug);
        });
        return cli;
    }

    private static int internalError(Throwable e, PrintWriter w, boolean debug) {
        w.println("einc: internal error: " + describe(e) + " (run with --debug for the stack trace)");
        if (e instanceof OutOfMemoryError) w.println("hint: give the JVM more memory, e.g. EINC_JAVA_OPTS=-Xmx16g ./einc ...");
        if (debug) e.printStackTrace(w);
        w.flush();
        return INTERNAL_ERROR;
    }

    /** With no subcommand: the usage on stderr, as a mistake. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return USER_ERROR;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return firstLine(message == null || message.isBlank() ? e.getClass().getName() : message);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
