package einc.cli;

import einc.codegen.jvm.JvmBackend;
import einc.codegen.jvm.JvmKernel;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.TensorDecl;
import einc.runtime.ElementType;
import einc.runtime.Kernel;
import einc.runtime.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code jvm} backend of {@code einc run}: compiles the cascade to bytecode and runs it on f32 tensors. */
final class JvmRunner {

    private JvmRunner() {}

    static Map<String, Dense> run(Cascade c, Extents x, Map<String, Dense> inputs, Map<String, Double> params) {
        return run(JvmBackend.compile(c).load(), c, x, inputs, params);
    }

    static Map<String, Dense> run(Kernel k, Cascade c, Extents x, Map<String, Dense> inputs, Map<String, Double> params) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) in.put(t.name(), tensor(inputs.get(t.name())));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) out.put(t.name(), Tensor.zeros(ElementType.F32, longs(x.shape(t))));
        k.run(in, out, params);
        Map<String, Dense> result = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) result.put(t.name(), new Dense(x.shape(t), out.get(t.name()).toDoubleArray()));
        return result;
    }

    static Tensor tensor(Dense d) {
        float[] f = new float[d.data().length];
        for (int i = 0; i < f.length; i++) f[i] = (float) d.data()[i];
        return Tensor.of(f, longs(d.shape()));
    }

    static long[] longs(int[] shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) out[i] = shape[i];
        return out;
    }
}
