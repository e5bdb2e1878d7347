package einc.cli;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.Diagnostic;
import einc.ir.EincException;
import einc.ir.IndexDef;
import einc.optimizer.Explain;
import einc.optimizer.ExplainDot;
import einc.optimizer.ExplainJson;
import einc.optimizer.ExplainText;
import einc.optimizer.Json;
import einc.optimizer.OptimizeReport;
import einc.optimizer.Pipeline;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code einc explain FILE}: how many passes each cascade takes over each rank and which value forces
 * every pass boundary (FuseMax §III), its fusion groups, live footprint, DRAM traffic and FLOPs; as text,
 * as JSON for tools ({@code --json}), or as a Graphviz picture ({@code --dot OUT}, plus an SVG when
 * {@code dot} is installed).
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Explain a cascade: passes per rank and their causes, fusion groups, footprint, DRAM traffic and FLOPs.")
final class ExplainCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The .ein file.")
    Path file;

    @Option(names = "--cascade", paramLabel = "NAME", description = "The cascade to explain (default: every cascade of the file; required with --json or --dot when it has several).")
    String cascadeName;

    @Option(names = "--shape", paramLabel = "INDEX=N[,INDEX=N...]", description = "Extents, e.g. p=1024,m=1024,e=64,f=64 (repeatable): sizes in numbers beside the formulas.")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--json", description = "Print the report as JSON (the contract for tools).")
    boolean json;

    @Option(names = "--dot", paramLabel = "OUT", description = "Write a Graphviz picture of the cascade to OUT, and OUT's .svg when 'dot' is installed.")
    Path dot;

    @Option(names = "--optimize", description = "Also run the rewrites: passes before -> after per rank, what each rewrite changed, and the optimized cascade as .ein.")
    boolean optimize;

    @Option(names = "--tile", paramLabel = "N", description = "Tile size of the ranks the rewrites split (with --optimize). Default: 64.")
    Long tile;

    @Option(names = "--print-ir-after", paramLabel = "PASS|all", description = "Print the cascade after this rewrite (or all of them) to stderr (with --optimize).")
    String printIrAfter;

    @Option(names = "--time-passes", description = "Print how long each rewrite took to stderr (with --optimize).")
    boolean timePasses;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Long> extents = Assignments.shapes(shapes);
        List<Cascade> chosen = pick(Sources.compile(file));
        for (Cascade c : chosen) checkShape(c, extents);
        for (int i = 0; i < chosen.size(); i++) {
            Explain x = Explain.of(chosen.get(i), extents);
            Pipeline.Outcome optimized = optimize ? Pipeline.run(chosen.get(i), options(), err::println) : null;
            if (json) {
                Map<String, Object> model = ExplainJson.model(x);
                if (optimized != null) model.put("optimized", OptimizeReport.json(optimized));
                out.print(Json.write(model));
            } else {
                if (i > 0) out.println();
                out.print(ExplainText.render(x));
                if (optimized != null) out.print(OptimizeReport.text(optimized));
            }
            if (dot != null) writeDot(x, err);
        }
        out.flush();
        err.flush();
        return Main.OK;
    }

    /** The pipeline's options from {@code --tile}, {@code --print-ir-after} and {@code --time-passes}. */
    private Pipeline.Options options() {
        Pipeline.Options o = Pipeline.Options.defaults().withTimePasses(timePasses);
        if (tile != null) {
            if (tile <= 0) throw EincException.plain(Code.BAD_ARGUMENT, "--tile must be positive, got " + tile);
            o = o.withTile(tile);
        }
        if (printIrAfter != null) {
            if (!printIrAfter.equals("all") && !Pipeline.names().contains(printIrAfter))
                throw new EincException(Diagnostic.error(null, Code.BAD_ARGUMENT, "--print-ir-after names no pass '" + printIrAfter + "'")
                        .withHint("the passes are all, " + String.join(", ", Pipeline.names())));
            o = o.withPrintIrAfter(printIrAfter, null);
        }
        return o;
    }

    /** The cascade named by {@code --cascade}; else every cascade, or the only one when the output is JSON or DOT. */
    private List<Cascade> pick(List<Cascade> cascades) {
        List<Cascade> chosen = Sources.select(cascades, file, cascadeName);
        if (chosen.size() > 1 && (json || dot != null)) {
            throw new EincException(Diagnostic.error(null, Code.UNKNOWN_CASCADE,
                    "'" + file + "' holds " + cascades.size() + " cascades; choose one with --cascade NAME for --json or --dot").withHint(Sources.those(cascades)));
        }
        return chosen;
    }

    /** Every index of {@code --shape} must be an index of the cascade: a typo would silently leave a formula. */
    private static void checkShape(Cascade c, Map<String, Long> extents) {
        List<String> known = c.indices().stream().map(IndexDef::name).toList();
        for (String index : extents.keySet()) {
            if (!known.contains(index)) {
                throw new EincException(Diagnostic.error(null, Code.BAD_ARGUMENT, "--shape names index '" + index + "', which cascade '" + c.name() + "' does not have")
                        .withHint("its indices are " + String.join(", ", known)));
            }
        }
    }

    /** Writes the DOT file and, when Graphviz is installed, its SVG beside it. */
    private void writeDot(Explain x, PrintWriter err) {
        try {
            Path parent = dot.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(dot, ExplainDot.render(x));
        } catch (IOException e) {
            throw EincException.plain(Code.IO, "cannot write '" + dot + "': " + e.getMessage());
        }
        String name = dot.getFileName().toString();
        Path svg = dot.resolveSibling((name.endsWith(".dot") ? name.substring(0, name.length() - 4) : name) + ".svg");
        String graphviz = findDot();
        if (graphviz == null) {
            err.println("einc: wrote " + dot + "; no SVG: Graphviz's 'dot' is not on the PATH (Debian/Ubuntu: apt-get install graphviz)");
            return;
        }
        try {
            Process p = new ProcessBuilder(graphviz, "-Tsvg", dot.toString(), "-o", svg.toString()).redirectErrorStream(true).start();
            String messages = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                err.println("einc: wrote " + dot + "; 'dot' did not finish within 60 s, no SVG");
            } else if (p.exitValue() != 0) {
                err.println("einc: wrote " + dot + "; 'dot' failed: " + messages.strip());
            } else {
                err.println("einc: wrote " + dot + " and " + svg);
            }
        } catch (IOException e) {
            err.println("einc: wrote " + dot + "; could not run 'dot': " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The path of Graphviz's {@code dot} on the PATH, or null. */
    private static String findDot() {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "dot");
            if (Files.isExecutable(candidate)) return candidate.toString();
        }
        return null;
    }
}
