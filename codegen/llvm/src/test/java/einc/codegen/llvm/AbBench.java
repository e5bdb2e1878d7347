package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.runtime.ElementType;
import einc.runtime.NativeKernel;
import einc.runtime.Tensor;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * An A/B timing harness (not a test): {@code AbBench FILE H N D REPS KERNEL...} runs each kernel
 * in turn, REPS rounds, and prints medians: thread CPU time on one thread (robust on a shared
 * machine), or wall time with {@code -Dthreads=N}. A kernel is {@code jit} (this build),
 * {@code aot:NAME} (this build, compiled to TMPDIR/einc-aot-NAME, a shared library perf can
 * annotate) or {@code load:DIR} (a kernel compiled before, e.g. by an older build).
 */
public final class AbBench {

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int threads = Integer.getInteger("threads", 1);
        int h = Integer.parseInt(args[1]), n = Integer.parseInt(args[2]), d = Integer.parseInt(args[3]), reps = Integer.parseInt(args[4]);
        List<String> variants = Arrays.asList(args).subList(5, args.length);
        Cascade c = Examples.compile(file).getFirst();
        List<NativeKernel> ks = new ArrayList<>();
        for (String v : variants) {
            if (v.startsWith("load:")) {
                ks.add(NativeKernel.load(Path.of(v.substring(5))));
            } else if (v.startsWith("aot:")) {
                Path dir = Path.of(System.getProperty("java.io.tmpdir"), "einc-aot-" + v.substring(4));
                LlvmBackend.compile(c, dir);
                ks.add(NativeKernel.load(dir));
            } else {
                ks.add(LlvmBackend.jit(c));
            }
        }
        Random rng = new Random(1);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (String name : ks.getFirst().manifest().inputs().keySet()) {
            Tensor t = Tensor.allocate(Arena.ofAuto(), ElementType.F32, 1, h, n, d);
            for (long i = 0; i < t.size(); i++) t.setFlat(i, rng.nextGaussian());
            in.put(name, t);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("AV", Tensor.allocate(Arena.ofAuto(), ElementType.F32, 1, h, n, d));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[][] t = new double[ks.size()][reps];
        float[] ref = null;
        for (int k = 0; k < ks.size(); k++) {
            ks.get(k).run(in, out, Map.of(), 1);
            float[] o = out.get("AV").toFloatArray();
            if (ref == null) ref = o;
            double num = 0, den = 0;
            for (int i = 0; i < o.length; i++) { double df = o[i] - ref[i]; num += df * df; den += (double) ref[i] * ref[i]; }
            System.out.printf("%s: rel diff vs first %.3g%n", variants.get(k), Math.sqrt(num / den));
        }
        for (int r = 0; r < reps; r++)
            for (int k = 0; k < ks.size(); k++) {
                long s = threads == 1 ? mx.getCurrentThreadCpuTime() : System.nanoTime();
                ks.get(k).run(in, out, Map.of(), threads);
                t[k][r] = ((threads == 1 ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - s) / 1e6;
            }
        double flops = 4.0 * h * n * (double) n * d;
        for (int k = 0; k < ks.size(); k++) {
            double[] s = t[k].clone();
            Arrays.sort(s);
            System.out.printf("%-12s %s H=%d N=%d D=%d: median %.1f ms (min %.1f max %.1f) cpu, %.1f GFLOP/s%n", variants.get(k), file.getFileName(), h, n, d,
                    s[reps / 2], s[0], s[reps - 1], flops / s[reps / 2] / 1e6);
        }
    }
}
