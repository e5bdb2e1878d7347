package einc.bench;

import einc.codegen.jvm.JvmBackend;
import einc.runtime.ElementType;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Attention variants no ORT operator expresses (sigmoid, softplus with l1 normalization) on einc's
 * JVM backend, f32, 2 threads, from the example {@code .ein} files as written; whichever class the
 * backend loads (the fused one is for softmax only) is the one timed. Checked in the setup. N=1024:
 * the generic class takes minutes a call at N=4096.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, batchSize = 1)
@Measurement(iterations = 2, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class VariantBench {

    @Param({"8x1024x64-sigmoid", "8x1024x64-softplus"})
    public String shape;

    @Param({"2"})
    public int threads;

    LoadedKernel kernel;
    Map<String, Tensor> inputs, outputs;

    @Setup(Level.Trial)
    public void setup() {
        Workload w = Workload.of(shape);
        kernel = JvmBackend.compile(w.cascade()).load().withThreads(threads);
        System.out.println("jvm class: " + kernel.variant());
        float[][] qkv = w.inputs();
        inputs = Map.of("Q", Tensor.of(qkv[0], w.b(), w.h(), w.n(), w.d()), "K", Tensor.of(qkv[1], w.b(), w.h(), w.n(), w.d()),
                "V", Tensor.of(qkv[2], w.b(), w.h(), w.n(), w.d()));
        outputs = Map.of("AV", Tensor.zeros(ElementType.F32, w.b(), w.h(), w.n(), w.d()));
        kernel.run(inputs, outputs, Map.of());
        w.check("einc jvm " + kernel.variant(), outputs.get("AV").toFloatArray(), qkv[0], qkv[1], qkv[2], 1e-4);
    }

    @Benchmark
    public Object jvm() {
        kernel.run(inputs, outputs, Map.of());
        return outputs;
    }
}
