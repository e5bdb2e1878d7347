package einc.cli;

import einc.codegen.jvm.JvmBackend;
import einc.codegen.llvm.LlvmBackend;
import einc.codegen.jvm.JvmKernel;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.Dense;
import einc.ir.EincException;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.TensorDecl;
import einc.runtime.ElementType;
import einc.runtime.Kernel;
import einc.runtime.LoadedKernel;
import einc.runtime.NativeKernel;
import einc.optimizer.Flops;
import einc.runtime.Tensor;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code einc bench FILE --shape ...}: times a cascade on random inputs on one backend, or two with
 * {@code --vs}, with a progress bar on stderr and a table of medians, ranges, GFLOP/s and ratios.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time a cascade on random inputs: median, range, GFLOP/s, and the ratio to another backend.")
final class BenchCommand implements Callable<Integer> {

    static final List<String> BACKENDS = List.of("jvm", "jvm-generic", "llvm", "reference");

    @Parameters(paramLabel = "FILE", description = "The .ein file.")
    Path file;

    @Option(names = "--cascade", paramLabel = "NAME", description = "The cascade (required when the file has several).")
    String cascadeName;

    @Option(names = "--shape", paramLabel = "INDEX=N[,INDEX=N...]", description = "Extents, e.g. b=1,h=8,p=1024,m=1024,e=64,f=64.")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "A parameter's value (repeatable).")
    List<String> params = new ArrayList<>();

    @Option(names = "--backend", paramLabel = "B", defaultValue = "jvm", description = "jvm, jvm-generic, llvm or reference. Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--vs", paramLabel = "B2", description = "A second backend to compare with.")
    String vs;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Threads of the jvm and llvm backends. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "5", description = "Untimed runs first, at least. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--warmup-time", paramLabel = "S", defaultValue = "5",
            description = "Untimed runs go on until this many seconds have passed too: the JVM kernel reaches its steady state only "
                    + "after the JIT has compiled it, 10 to 30 runs. Default: ${DEFAULT-VALUE}.")
    double warmupTime;

    @Option(names = "--reps", paramLabel = "N", defaultValue = "15", description = "Timed runs. Default: ${DEFAULT-VALUE}.")
    int reps;

    @Mixin
    OptimizeOptions optimize;

    @Spec
    CommandSpec spec;

    /** One timed backend. */
    private interface Runner {
        void run();
    }

    @Override
    public Integer call() {
        List<String> chosen = new ArrayList<>(List.of(backend));
        if (vs != null) chosen.add(vs);
        for (String b : chosen)
            if (!BACKENDS.contains(b)) throw EincException.plain(Code.BAD_ARGUMENT, "unknown backend '" + b + "'; bench knows " + String.join(", ", BACKENDS));
        if (reps < 1 || warmup < 0 || threads < 1 || !(warmupTime >= 0))
            throw EincException.plain(Code.BAD_ARGUMENT, "--reps and --threads must be at least 1, --warmup and --warmup-time at least 0");
        Cascade written = Sources.pick(Sources.compile(file), file, cascadeName);
        Backends.Plan plan = optimize.plan(written);
        Cascade c = plan.optimized();
        Extents x = plan.bind(Map.of(), Assignments.shapes(shapes));
        Map<String, Double> values = Interpreter.params(c, x, Assignments.params(params));
        OptionalDouble flops = JvmBackend.attentionFlops(written, x.values(), values);
        if (flops.isEmpty()) flops = OptionalDouble.of(Flops.count(written, x.values()).total());

        SplittableRandom rnd = new SplittableRandom(0);
        Map<String, Dense> dense = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            Dense d = Dense.zeros(x.shape(t));
            for (int i = 0; i < d.data().length; i++) d.data()[i] = (float) gaussian(rnd);
            dense.put(t.name(), d);
            tensors.put(t.name(), JvmRunner.tensor(d));
        }
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) outputs.put(t.name(), Tensor.zeros(ElementType.F32, JvmRunner.longs(x.shape(t))));

        PrintWriter err = spec.commandLine().getErr();
        int total = chosen.size() * reps, done = 0;
        Map<String, double[]> times = new LinkedHashMap<>();
        Map<String, String> variants = new LinkedHashMap<>();
        for (String b : chosen) {
            Runner r;
            if (b.equals("reference")) {
                r = () -> Interpreter.run(c, x, dense, values);
                variants.put(b, "float64 interpreter");
            } else if (b.equals("llvm")) {
                NativeKernel kernel = LlvmBackend.jit(c);
                Map<String, Tensor> in = new LinkedHashMap<>(), out = new LinkedHashMap<>();
                tensors.forEach((name, t) -> in.put(name, offHeap(t)));
                outputs.forEach((name, t) -> out.put(name, offHeap(t)));
                r = () -> kernel.run(in, out, values, threads);
                variants.put(b, "native, " + threads + " thread" + (threads == 1 ? "" : "s"));
            } else {
                JvmKernel compiled = JvmBackend.compile(c);
                LoadedKernel k = (b.equals("jvm") ? compiled.load() : compiled.loadGeneric()).withThreads(threads);
                Kernel kernel = k;
                r = () -> kernel.run(tensors, outputs, values);
                variants.put(b, k.variant() + ", " + threads + " thread" + (threads == 1 ? "" : "s"));
            }
            long warmStart = System.nanoTime();
            for (int i = 0; i < warmup || (System.nanoTime() - warmStart) / 1e9 < warmupTime; i++) {
                r.run();
                clearLine(err);
                err.print("warming up " + b + ": " + (i + 1) + " run" + (i == 0 ? "" : "s")
                        + String.format(", %.1f s", (System.nanoTime() - warmStart) / 1e9));
                err.flush();
            }
            double[] t = new double[reps];
            for (int i = 0; i < reps; i++) {
                long start = System.nanoTime();
                r.run();
                t[i] = (System.nanoTime() - start) / 1e9;
                progress(err, ++done, total, b);
            }
            Arrays.sort(t);
            times.put(b, t);
        }
        clearLine(err);
        err.flush();
        spec.commandLine().getOut().print(table(c, x, flops, times, variants));
        spec.commandLine().getOut().flush();
        return Main.OK;
    }

    /** A native copy of {@code t}, so that the native kernel is timed without copies around each call. */
    private static Tensor offHeap(Tensor t) {
        Tensor copy = Tensor.allocate(Arena.ofAuto(), ElementType.F32, t.shape());
        copy.segment().copyFrom(t.segment());
        return copy;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** Blanks the status line (warm-up or progress bar) and returns to its start. */
    private static void clearLine(PrintWriter err) {
        err.print("\r" + " ".repeat(60) + "\r");
    }

    private static void progress(PrintWriter err, int done, int total, String backend) {
        int width = 30, filled = done * width / total;
        clearLine(err);
        err.print("[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total + " " + backend);
        err.flush();
    }

    static String table(Cascade c, Extents x, OptionalDouble flops, Map<String, double[]> times, Map<String, String> variants) {
        StringBuilder sb = new StringBuilder();
        sb.append(c.name()).append(' ').append(x.values()).append('\n');
        sb.append(flops.isPresent() ? String.format(Locale.ROOT, "%.3g FLOP per run (2 (E + F) per unmasked query-key pair)%n", flops.getAsDouble()) : "FLOPs: not counted (not softmax attention)\n");
        sb.append(String.format(Locale.ROOT, "%-12s %12s %23s %10s %8s  %s%n", "backend", "median ms", "min .. max ms", "GFLOP/s", "ratio", "what"));
        double first = median(times.values().iterator().next());
        for (Map.Entry<String, double[]> e : times.entrySet()) {
            double[] t = e.getValue();
            double med = median(t);
            String gf = flops.isPresent() ? String.format(Locale.ROOT, "%.1f", flops.getAsDouble() / med / 1e9) : "-";
            sb.append(String.format(Locale.ROOT, "%-12s %12.3f %10.3f .. %10.3f %10s %7.2fx  %s%n", e.getKey(), med * 1e3, t[0] * 1e3,
                    t[t.length - 1] * 1e3, gf, first / med, variants.get(e.getKey())));
        }
        return sb.toString();
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
