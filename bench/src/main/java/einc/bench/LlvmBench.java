package einc.bench;

import einc.codegen.llvm.LlvmBackend;
import einc.runtime.ElementType;
import einc.runtime.NativeKernel;
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

import java.lang.foreign.Arena;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * einc's LLVM kernel (JIT-compiled through ORC from the example {@code .ein} file as written, the
 * way {@code QuickBench} does), f32, 2 threads, on the inputs of {@link Workload}; the output is
 * checked against a float64 reference in the setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, batchSize = 1)
@Measurement(iterations = 4, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class LlvmBench {

    @Param({"8x1024x64", "8x4096x64", "8x1024x64-causal", "8x4096x64-causal", "16x2048x128",
            "8x4096x64-sigmoid", "8x4096x64-softplus"})
    public String shape;

    @Param({"2"})
    public int threads;

    NativeKernel kernel;
    Map<String, Tensor> inputs, outputs;

    @Setup(Level.Trial)
    public void setup() {
        Workload w = Workload.of(shape);
        kernel = LlvmBackend.jit(w.cascade());
        float[][] qkv = w.inputs();
        inputs = Map.of("Q", tensor(w, qkv[0]), "K", tensor(w, qkv[1]), "V", tensor(w, qkv[2]));
        outputs = Map.of("AV", tensor(w, new float[w.size()]));
        kernel.run(inputs, outputs, Map.of(), threads);
        w.check("einc llvm", outputs.get("AV").toFloatArray(), qkv[0], qkv[1], qkv[2], 1e-4);
    }

    static Tensor tensor(Workload w, float[] data) {
        Tensor t = Tensor.allocate(Arena.ofAuto(), ElementType.F32, w.b(), w.h(), w.n(), w.d());
        t.copyFrom(data);
        return t;
    }

    @Benchmark
    public Object llvm() {
        kernel.run(inputs, outputs, Map.of(), threads);
        return outputs;
    }
}
