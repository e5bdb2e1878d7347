package einc.cli;

import einc.ir.Cascade;
import einc.ir.EincException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code einc check FILE...}: compiles every file and prints every diagnostic; exit 1 when any file has one. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check .ein files: print every error (to stderr) and exit 1 if there is one, else one ok line per file.")
final class CheckCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The .ein files to check.")
    List<Path> files;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int status = Main.OK;
        for (Path file : files) {
            try {
                List<Cascade> cascades = Sources.compile(file);
                out.println(file + ": ok (" + names(cascades) + ")");
            } catch (EincException e) {
                err.print(e.render());
                status = Main.USER_ERROR;
            }
        }
        out.flush();
        err.flush();
        return status;
    }

    private static String names(List<Cascade> cascades) {
        if (cascades.isEmpty()) return "no cascade";
        return (cascades.size() == 1 ? "cascade " : "cascades ") + String.join(", ", cascades.stream().map(Cascade::name).toList());
    }
}
