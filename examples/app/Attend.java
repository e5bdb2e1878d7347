import einc.runtime.ElementType;
import einc.runtime.Kernel;
import einc.runtime.Kernels;
import einc.runtime.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An app that embeds a kernel einc compiled ahead of time: it needs the einc-runtime jar alone,
 * no compiler. Compile the kernel first, then run this file with Java's source launcher:
 *
 * <pre>
 * ./einc compile examples/attention/causal.ein --target jvm -o /tmp/kernels
 * java --add-modules jdk.incubator.vector -cp runtime/target/einc-runtime-0.1.0-SNAPSHOT.jar \
 *      examples/app/Attend.java /tmp/kernels
 * </pre>
 */
public final class Attend {

    public static void main(String[] args) {
        Kernel attention = Kernels.load(Path.of(args.length > 0 ? args[0] : "/tmp/kernels"));
        long b = 1, h = 4, n = 512, d = 64;
        SplittableRandom rnd = new SplittableRandom(7);
        Tensor q = random(rnd, b, h, n, d), k = random(rnd, b, h, n, d), v = random(rnd, b, h, n, d);
        Tensor out = Tensor.zeros(ElementType.F32, b, h, n, d);
        for (int run = 0; run < 5; run++) {
            long start = System.nanoTime();
            attention.run(Map.of("Q", q, "K", k, "V", v), Map.of("AV", out), Map.of());
            System.out.printf("run %d: %.1f ms, AV[0, 0, 0, 0] = %.6f%n", run, (System.nanoTime() - start) / 1e6, out.get(0, 0, 0, 0));
        }
    }

    private static Tensor random(SplittableRandom rnd, long... shape) {
        Tensor t = Tensor.zeros(ElementType.F32, shape);
        for (long i = 0; i < t.size(); i++) t.setFlat(i, rnd.nextDouble(-1, 1));
        return t;
    }
}
