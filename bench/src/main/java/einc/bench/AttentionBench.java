package einc.bench;

import einc.codegen.jvm.JvmBackend;
import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Source;
import einc.runtime.ElementType;
import einc.runtime.Kernel;
import einc.runtime.LoadedKernel;
import einc.runtime.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * Softmax attention, f32, B=1 H=8 D=64, 2 threads: einc's JVM kernel (compiled from the example
 * {@code .ein} files) against the hand-written Java anchor, on the same inputs in the same run.
 * GFLOP/s = 4 B H N^2 D / time (halved when causal).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 15, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class AttentionBench {

    static final String SOFTMAX = """
            cascade attention {
              batch  b, h
              input  Q[p, e], K[m, e], V[m, f]
              output AV[p, f]
              param  scale = 1 / sqrt(E)
              QK[m, p] = scale * Q[p, e] * K[m, e]
              GM[p]    = QK[m, p] :: max(m)
              SN[m, p] = exp(QK[m, p] - GM[p])
              SD[p]    = SN[m, p]
              A[m, p]  = SN[m, p] / SD[p]
              AV[p, f] = A[m, p] * V[m, f]
            }
            """;

    @Param({"1024", "4096"})
    public int n;

    @Param({"false", "true"})
    public boolean causal;

    @Param({"2"})
    public int threads;

    static final int B = 1, H = 8, D = 64;

    Kernel kernel;
    Map<String, Tensor> inputs;
    Map<String, Tensor> outputs;
    float[] q, k, v, o;
    ForkJoinPool pool;

    static Cascade cascade(boolean causal) {
        String text = causal ? SOFTMAX.replace("* K[m, e]", "* K[m, e] where m <= p") : SOFTMAX;
        return Frontend.compile(new Source("attention.ein", text)).getFirst();
    }

    @Setup(Level.Trial)
    public void setup() {
        LoadedKernel loaded = JvmBackend.compile(cascade(causal)).load().withThreads(threads);
        if (!loaded.variant().equals("fused")) throw new IllegalStateException("expected the fused kernel, got " + loaded.variant());
        kernel = loaded;
        Random rnd = new Random(42);
        q = random(rnd);
        k = random(rnd);
        v = random(rnd);
        o = new float[q.length];
        inputs = Map.of("Q", Tensor.of(q, B, H, n, D), "K", Tensor.of(k, B, H, n, D), "V", Tensor.of(v, B, H, n, D));
        outputs = Map.of("AV", Tensor.zeros(ElementType.F32, B, H, n, D));
        pool = new ForkJoinPool(threads);
    }

    private float[] random(Random rnd) {
        float[] a = new float[B * H * n * D];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdown();
    }

    @Benchmark
    public Object einc() {
        kernel.run(inputs, outputs, Map.of());
        return outputs;
    }

    @Benchmark
    @Warmup(iterations = 1, batchSize = 1)
    @Measurement(iterations = 3, batchSize = 1)
    public float[] handwritten() {
        HandAttention.run(q, k, v, o, B * H, n, D, causal, pool);
        return o;
    }
}
