package einc.bench;

import einc.codegen.jvm.JvmBackend;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.runtime.ElementType;
import einc.runtime.Kernel;
import einc.runtime.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The reference interpreter and the generic (unfused, scalar) JVM path on a size the interpreter
 * finishes: B=1 H=8 N=256 D=64, beside the fused kernel on the same inputs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, batchSize = 1)
@Measurement(iterations = 5, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class InterpreterBench {

    @Param({"256"})
    public int n;

    static final int B = 1, H = 8, D = 64;
    Cascade c;
    Extents x;
    Map<String, Dense> dense;
    Map<String, Double> params;
    Kernel fused, generic;
    Map<String, Tensor> inputs, outputs;

    @Setup
    public void setup() {
        c = AttentionBench.cascade(false);
        x = Extents.bind(c, Map.of(), Map.of("b", (long) B, "h", (long) H, "p", (long) n, "m", (long) n, "e", (long) D, "f", (long) D));
        params = Interpreter.params(c, x, Map.of());
        Random rnd = new Random(42);
        dense = new java.util.LinkedHashMap<>();
        inputs = new java.util.LinkedHashMap<>();
        for (String t : new String[] {"Q", "K", "V"}) {
            Dense d = Dense.zeros(B, H, n, D);
            float[] f = new float[d.data().length];
            for (int i = 0; i < f.length; i++) d.data()[i] = f[i] = (float) rnd.nextGaussian();
            dense.put(t, d);
            inputs.put(t, Tensor.of(f, B, H, n, D));
        }
        outputs = Map.of("AV", Tensor.zeros(ElementType.F32, B, H, n, D));
        var compiled = JvmBackend.compile(c);
        fused = compiled.load().withThreads(2);
        generic = compiled.loadGeneric().withThreads(2);
    }

    @Benchmark
    public Object interpreter() {
        return Interpreter.run(c, x, dense, params);
    }

    @Benchmark
    public Object eincGeneric() {
        generic.run(inputs, outputs, Map.of());
        return outputs;
    }

    @Benchmark
    public Object einc() {
        fused.run(inputs, outputs, Map.of());
        return outputs;
    }
}
