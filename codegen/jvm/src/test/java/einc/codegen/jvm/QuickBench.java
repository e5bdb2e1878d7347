package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.runtime.ElementType;
import einc.runtime.LoadedKernel;
import einc.runtime.Tensor;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/** A quick timing harness (not a test): {@code QuickBench CASCADE N [threads] [reps]}. */
public final class QuickBench {

    public static void main(String[] args) {
        String name = args[0];
        int n = Integer.parseInt(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int b = 1, h = 8, d = 64;
        Cascade c = Cascades.all().get(name);
        LoadedKernel k = JvmBackend.compile(c).load().withThreads(threads);
        Random rnd = new Random(1);
        Map<String, Tensor> in = Map.of("Q", rand(rnd, b, h, n, d), "K", rand(rnd, b, h, n, d), "V", rand(rnd, b, h, n, d));
        Map<String, Tensor> out = Map.of("AV", Tensor.zeros(ElementType.F32, b, h, n, d));
        double flops = 4.0 * b * h * n * (double) n * d * (name.equals("causal") ? 0.5 : 1.0);
        double[] t = new double[reps], cpu = new double[reps];
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 5; i++) k.run(in, out, Map.of());
        for (int i = 0; i < reps; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long s = System.nanoTime();
            k.run(in, out, Map.of());
            t[i] = (System.nanoTime() - s) / 1e9;
            cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
        }
        Arrays.sort(t);
        Arrays.sort(cpu);
        if (threads == 1) System.out.printf("  caller-thread cpu: median %.2f ms = %.1f GFLOP per cpu-second%n", cpu[reps / 2] * 1e3, flops / cpu[reps / 2] / 1e9);
        double med = t[reps / 2];
        System.out.printf("%s N=%d threads=%d variant=%s median %.2f ms  %.1f GFLOP/s (min %.2f ms)%n",
                name, n, threads, k.variant(), med * 1e3, flops / med / 1e9, t[0] * 1e3);
    }

    static Tensor rand(Random rnd, long... shape) {
        Tensor t = Tensor.zeros(ElementType.F32, shape);
        float[] f = new float[Math.toIntExact(t.size())];
        for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
        t.copyFrom(f);
        return t;
    }
}
