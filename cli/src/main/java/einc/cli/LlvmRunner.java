package einc.cli;

import einc.codegen.llvm.LlvmBackend;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.TensorDecl;
import einc.runtime.ElementType;
import einc.runtime.NativeKernel;
import einc.runtime.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code llvm} backend of {@code einc run} (a native kernel JIT-compiled with LLVM ORC, on every
 * core), and the {@code llvm} target of {@code einc compile} (IR text, or {@code .ll}, object file,
 * shared library and manifest in a folder).
 */
final class LlvmRunner {

    private LlvmRunner() {}

    static Map<String, Dense> run(Cascade c, Extents x, Map<String, Dense> inputs, Map<String, Double> params) {
        NativeKernel k = LlvmBackend.jit(c);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) in.put(t.name(), tensor(inputs.get(t.name())));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) out.put(t.name(), Tensor.zeros(ElementType.F32, longs(x.shape(t))));
        k.run(in, out, params, Runtime.getRuntime().availableProcessors());
        Map<String, Dense> result = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) result.put(t.name(), new Dense(x.shape(t), out.get(t.name()).toDoubleArray()));
        return result;
    }

    /** The module's IR for this machine, after O3 when {@code optimized}. */
    static String emit(Cascade c, boolean optimized) {
        return LlvmBackend.ir(c, optimized);
    }

    /** Writes the kernel of {@code c} into {@code dir}; returns a line saying what was written. */
    static String compile(Cascade c, Path dir) {
        var m = LlvmBackend.compile(c, dir);
        return c.name() + ": llvm " + LlvmBackend.variant(c) + " -> " + dir.resolve(m.library()) + " (symbol " + m.symbol() + ", manifest " + dir.resolve("kernel.manifest") + ")";
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
