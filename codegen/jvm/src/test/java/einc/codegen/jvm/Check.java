package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.TensorDecl;
import einc.runtime.Kernel;
import einc.runtime.Tensor;
import einc.testing.Errors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;


/** Runs a kernel and the reference interpreter on the same fresh random inputs and compares. */
final class Check {

    private Check() {}

    /** Relative L2 error of every output against the interpreter; outputs are poisoned first. */
    static void againstInterpreter(Cascade c, Kernel kernel, Map<String, Long> extents, long seed, double tolerance) {
        Extents x = Extents.bind(c, Map.of(), extents);
        Random rnd = new Random(seed);
        Map<String, Dense> ref = new LinkedHashMap<>();
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            int[] shape = x.shape(t);
            Dense d = Dense.zeros(shape);
            float[] f = new float[d.data().length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) (rnd.nextGaussian());
                d.data()[i] = f[i];
            }
            ref.put(t.name(), d);
            long[] ls = new long[shape.length];
            for (int k = 0; k < shape.length; k++) ls[k] = shape[k];
            in.put(t.name(), Tensor.of(f, ls));
        }
        Map<String, Double> params = Map.of();
        Map<String, Dense> want = Interpreter.run(c, x, ref, Interpreter.params(c, x, params));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) {
            int[] shape = x.shape(t);
            long[] ls = new long[shape.length];
            for (int k = 0; k < shape.length; k++) ls[k] = shape[k];
            Tensor o = Tensor.zeros(einc.runtime.ElementType.F32, ls);
            o.poison();
            out.put(t.name(), o);
        }
        kernel.run(in, out, params);
        for (TensorDecl t : c.outputs()) {
            Errors.assertAgrees(c.name() + " " + extents + ": " + t.name(), out.get(t.name()).toDoubleArray(), want.get(t.name()).data(), tolerance);
        }
    }
}
