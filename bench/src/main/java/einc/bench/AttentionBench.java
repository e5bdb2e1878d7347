package einc.bench;

import einc.codegen.jvm.JvmBackend;
import einc.ir.Cascade;
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
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * Softmax attention, f32, 2 threads: einc's JVM fused kernel (compiled from the example {@code .ein}
 * files) against the hand-written Java anchors (naive, and Vector API with an online softmax), on the inputs of {@link Workload} in the same run.
 * The kernel's output is checked against a float64 reference in the setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class AttentionBench {

    @Param({"8x1024x64", "8x4096x64", "8x1024x64-causal", "8x4096x64-causal", "16x2048x128"})
    public String shape;

    @Param({"2"})
    public int threads;

    Workload w;
    Kernel kernel;
    Map<String, Tensor> inputs;
    Map<String, Tensor> outputs;
    float[] q, k, v, o;
    ForkJoinPool pool;

    /** Softmax attention as in {@code examples/attention/softmax.ein}, with {@code where m <= p} when causal. */
    static Cascade cascade(boolean causal) {
        return Workload.of(causal ? "8x8x8-causal" : "8x8x8").cascade();
    }

    @Setup(Level.Trial)
    public void setup() {
        w = Workload.of(shape);
        LoadedKernel loaded = JvmBackend.compile(w.cascade()).load().withThreads(threads);
        if (!loaded.variant().equals("fused")) throw new IllegalStateException("expected the fused kernel, got " + loaded.variant());
        kernel = loaded;
        float[][] qkv = w.inputs();
        q = qkv[0];
        k = qkv[1];
        v = qkv[2];
        o = new float[q.length];
        inputs = Map.of("Q", Tensor.of(q, w.b(), w.h(), w.n(), w.d()), "K", Tensor.of(k, w.b(), w.h(), w.n(), w.d()),
                "V", Tensor.of(v, w.b(), w.h(), w.n(), w.d()));
        outputs = Map.of("AV", Tensor.zeros(ElementType.F32, w.b(), w.h(), w.n(), w.d()));
        pool = new ForkJoinPool(threads);
        kernel.run(inputs, outputs, Map.of());
        w.check("einc jvm", outputs.get("AV").toFloatArray(), q, k, v, 1e-4);
        HandVectorAttention.run(q, k, v, o, w.b() * w.h(), w.n(), w.d(), w.causal(), pool);
        w.check("hand-written vector api", o, q, k, v, 1e-4);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdown();
    }

    /**
     * 30 warm-up calls: the C2 compiles of the kernel's vector methods finish only after several
     * calls (C1's vector code boxes every vector); with 10, N=1024 still measured half speed
     * (bench/RESULTS.md, run a of the evening).
     */
    @Benchmark
    @Warmup(iterations = 30, batchSize = 1)
    public Object einc() {
        kernel.run(inputs, outputs, Map.of());
        return outputs;
    }

    /** The Vector API anchor: {@link HandVectorAttention}, checked against the reference once per trial. */
    @Benchmark
    @Warmup(iterations = 10, batchSize = 1)
    public float[] handVector() {
        HandVectorAttention.run(q, k, v, o, w.b() * w.h(), w.n(), w.d(), w.causal(), pool);
        return o;
    }

    @Benchmark
    @Warmup(iterations = 1, batchSize = 1)
    @Measurement(iterations = 3, batchSize = 1)
    public float[] handwritten() {
        HandAttention.run(q, k, v, o, w.b() * w.h(), w.n(), w.d(), w.causal(), pool);
        return o;
    }
}
