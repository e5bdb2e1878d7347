package einc.cli;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.Dense;
import einc.ir.Diagnostic;
import einc.ir.EincException;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.TensorDecl;
import einc.optimizer.Pipeline;
import einc.optimizer.Flops;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code einc run FILE}: compiles a cascade, binds its extents to the inputs' shapes and
 * {@code --shape}, reads each input from {@code --inputs DIR/NAME.npy} or draws it from a seeded
 * normal distribution, runs it on a backend, writes the outputs as float32 {@code .npy} and prints
 * a {@link Summary}.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a cascade on inputs from .npy files or seeded random normal ones, and print a summary.")
final class RunCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The .ein file.")
    Path file;

    @Option(names = "--cascade", paramLabel = "NAME", description = "The cascade to run (required when the file has several).")
    String cascadeName;

    @Option(names = "--inputs", paramLabel = "DIR", description = "Read input X from DIR/X.npy when that file exists (f32, f64 or f16, C order).")
    Path inputsDir;

    @Option(names = "--outputs", paramLabel = "DIR", description = "Write output Y to DIR/Y.npy as float32, batch ranks first.")
    Path outputsDir;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "A parameter's value (repeatable).")
    List<String> params = new ArrayList<>();

    @Option(names = "--shape", paramLabel = "INDEX=N[,INDEX=N...]", description = "Extents of indices no input determines, e.g. p=1024,m=1024 (repeatable).")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "reference", description = "Where to run: reference (the float64 interpreter) or cuda (an NVIDIA GPU). Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--no-optimize", description = "Run the cascade as written, without the rewrites (which keep the numbers, up to rounding).")
    boolean noOptimize;

    @Option(names = "--tile", paramLabel = "N", description = "Tile size of the ranks the rewrites split. Default: 64.")
    Long tile;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the random inputs. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Backends.Backend runner = Backends.byName(backend);
        Map<String, Long> explicit = Assignments.shapes(shapes);
        Map<String, Double> given = Assignments.params(params);
        Cascade c = pick(Sources.compile(file));
        if (!noOptimize) {
            if (tile != null && tile <= 0) throw EincException.plain(Code.BAD_ARGUMENT, "--tile must be positive, got " + tile);
            c = Pipeline.run(c, tile == null ? Pipeline.Options.defaults() : Pipeline.Options.defaults().withTile(tile)).optimized();
        }

        Map<String, Dense> fromFiles = readInputs(c);
        Map<String, int[]> fileShapes = new LinkedHashMap<>();
        fromFiles.forEach((name, d) -> fileShapes.put(name, d.shape()));
        Extents x = Extents.bind(c, fileShapes, explicit);
        List<Summary.Array> inputInfo = new ArrayList<>();
        Map<String, Dense> inputs = completeInputs(c, x, fromFiles, inputInfo);
        Map<String, Double> values = Interpreter.params(c, x, given);

        long start = System.nanoTime();
        Map<String, Dense> results = runner.run(c, x, inputs, values);
        double seconds = (System.nanoTime() - start) / 1e9;
        OptionalLong flops = OptionalLong.of(Flops.count(c, x.values()).total());

        List<Summary.Array> outputInfo = writeOutputs(c, results);
        Summary summary = new Summary(c.name(), file.toString(), x.values(), inputInfo, values, backend, seconds, flops, outputInfo);
        spec.commandLine().getOut().print(summary.render());
        spec.commandLine().getOut().flush();
        return Main.OK;
    }

    /** The cascade named by {@code --cascade}, or the file's only one. */
    private Cascade pick(List<Cascade> cascades) {
        List<String> names = cascades.stream().map(Cascade::name).toList();
        String those = "its cascades are " + String.join(", ", names);
        if (cascadeName != null) {
            return cascades.stream().filter(k -> k.name().equals(cascadeName)).findFirst().orElseThrow(() -> new EincException(
                    Diagnostic.error(null, Code.UNKNOWN_CASCADE, "'" + file + "' has no cascade '" + cascadeName + "'").withHint(those)));
        }
        if (cascades.size() == 1) return cascades.getFirst();
        if (cascades.isEmpty()) throw EincException.plain(Code.UNKNOWN_CASCADE, "'" + file + "' holds no cascade");
        throw new EincException(Diagnostic.error(null, Code.UNKNOWN_CASCADE,
                "'" + file + "' holds " + cascades.size() + " cascades; choose one with --cascade NAME").withHint(those));
    }

    /** The inputs that have a file {@code NAME.npy} in {@code --inputs}, in declaration order. */
    private Map<String, Dense> readInputs(Cascade c) {
        Map<String, Dense> out = new LinkedHashMap<>();
        if (inputsDir == null) return out;
        if (!Files.isDirectory(inputsDir)) throw EincException.plain(Code.IO, "--inputs '" + inputsDir + "' is not a directory");
        for (TensorDecl t : c.inputs()) {
            Path f = inputFile(t);
            if (Files.exists(f)) out.put(t.name(), TensorFiles.read(f));
        }
        warnAboutStrayFiles(c);
        return out;
    }

    /** A file {@code q.npy} beside inputs {@code Q, K, V} is most likely a typo: say so rather than silently draw Q at random. */
    private void warnAboutStrayFiles(Cascade c) {
        List<String> names = c.inputs().stream().map(TensorDecl::name).toList();
        try (var files = Files.list(inputsDir)) {
            files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".npy") && !names.contains(n.substring(0, n.length() - 4)))
                    .sorted()
                    .forEach(n -> spec.commandLine().getErr().println("einc: warning: " + inputsDir.resolve(n)
                            + " is not read: cascade '" + c.name() + "' has no input '" + n.substring(0, n.length() - 4)
                            + "' (its inputs are " + String.join(", ", names) + ")"));
        } catch (IOException e) {
            throw EincException.plain(Code.IO, "cannot list --inputs '" + inputsDir + "': " + e.getMessage());
        }
    }

    private Path inputFile(TensorDecl t) {
        return inputsDir.resolve(t.name() + ".npy");
    }

    /**
     * Every input: read from its file, else standard normal from the seed. Each input draws from
     * its own split of one generator, so an input's random values do not depend on which others came from files.
     */
    private Map<String, Dense> completeInputs(Cascade c, Extents x, Map<String, Dense> fromFiles, List<Summary.Array> info) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, Dense> out = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            SplittableRandom rng = root.split();
            Dense d = fromFiles.get(t.name());
            String where = d != null ? "from " + inputFile(t) : "random normal, seed " + seed;
            if (d == null) {
                d = Dense.zeros(x.shape(t));
                double[] data = d.data();
                for (int i = 0; i < data.length; i++) data[i] = rng.nextGaussian();
            }
            out.put(t.name(), d);
            info.add(Summary.Array.of(t.name(), d, where));
        }
        return out;
    }

    /** Writes each output to {@code --outputs} when given; returns what the summary says of them. */
    private List<Summary.Array> writeOutputs(Cascade c, Map<String, Dense> results) {
        if (outputsDir != null) {
            try {
                Files.createDirectories(outputsDir);
            } catch (IOException e) {
                String why = e instanceof FileAlreadyExistsException ? "a file of that name is in the way" : e.getMessage();
                throw EincException.plain(Code.IO, "cannot create --outputs '" + outputsDir + "': " + why);
            }
        }
        List<Summary.Array> info = new ArrayList<>();
        for (TensorDecl t : c.outputs()) {
            Dense d = results.get(t.name());
            if (d == null) throw new IllegalStateException("backend " + backend + " returned no value for output '" + t.name() + "'");
            String where = null;
            if (outputsDir != null) {
                Path f = outputsDir.resolve(t.name() + ".npy");
                TensorFiles.writeF32(f, d);
                where = "-> " + f;
            }
            info.add(Summary.Array.of(t.name(), d, where));
        }
        return info;
    }
}
