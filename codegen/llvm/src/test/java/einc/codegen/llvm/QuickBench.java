package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.runtime.ElementType;
import einc.runtime.NativeKernel;
import einc.runtime.Tensor;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A quick timing harness (not a test): {@code QuickBench FILE B H N D THREADS [REPS]} JIT-compiles
 * the cascade and prints the best time of the repetitions and GFLOP/s at 4 N^2 D FLOPs per head
 * (halved for causal files).
 */
public final class QuickBench {

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int b = Integer.parseInt(args[1]), h = Integer.parseInt(args[2]), n = Integer.parseInt(args[3]), d = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(args[5]), reps = args.length > 6 ? Integer.parseInt(args[6]) : 5;
        Cascade c = Examples.compile(file).getFirst();
        long t0 = System.nanoTime();
        NativeKernel k = LlvmBackend.jit(c);
        System.out.printf("jit %.2f s%n", (System.nanoTime() - t0) / 1e9);
        Random rng = new Random(1);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (String name : k.manifest().inputs().keySet()) {
            int rows = name.equals("Q") ? n : n;
            Tensor t = Tensor.allocate(Arena.ofAuto(), ElementType.F32, b, h, rows, d);
            for (long i = 0; i < t.size(); i++) t.setFlat(i, rng.nextGaussian());
            in.put(name, t);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("AV", Tensor.allocate(Arena.ofAuto(), ElementType.F32, b, h, n, d));
        double best = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long s = System.nanoTime();
            k.run(in, out, Map.of(), threads);
            best = Math.min(best, (System.nanoTime() - s) / 1e9);
        }
        double flops = 4.0 * b * h * n * (double) n * d * (file.toString().contains("causal") ? 0.5 : 1.0);
        System.out.printf("%s B=%d H=%d N=%d D=%d threads=%d: best %.4f s, %.1f GFLOP/s%n", file.getFileName(), b, h, n, d, threads, best, flops / best / 1e9);
    }
}
