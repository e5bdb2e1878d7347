package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.TensorDecl;
import einc.testing.Errors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Runs two cascades on the same random inputs with the reference interpreter and measures how far apart their outputs are. */
final class Oracle {

    private Oracle() {}

    /** Random inputs in [-1, 1) for {@code c}, shaped by {@code extents} (index name -> extent). */
    static Map<String, Dense> inputs(Cascade c, Map<String, Long> extents, long seed) {
        Random rnd = new Random(seed);
        Map<String, Dense> out = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            int[] shape = t.ranks().stream().mapToInt(r -> Math.toIntExact(extents.get(r.index()))).toArray();
            Dense d = Dense.zeros(shape);
            for (int i = 0; i < d.data().length; i++) d.data()[i] = 2 * rnd.nextDouble() - 1;
            out.put(t.name(), d);
        }
        return out;
    }

    static Map<String, Dense> run(Cascade c, Map<String, Dense> inputs, Map<String, Double> params) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        inputs.forEach((k, v) -> shapes.put(k, v.shape()));
        Extents x = Extents.bind(c, shapes, Map.of());
        return Interpreter.run(c, x, inputs, Interpreter.params(c, x, params));
    }

    /** The largest relative L2 error over the outputs of {@code b} against {@code a}; infinite when NaNs or infinities differ. */
    static double error(Cascade a, Cascade b, Map<String, Long> extents, Map<String, Double> params, long seed) {
        Map<String, Dense> in = inputs(a, extents, seed);
        Map<String, Dense> ra = run(a, in, params), rb = run(b, in, params);
        double worst = 0;
        for (Map.Entry<String, Dense> e : ra.entrySet()) {
            worst = Math.max(worst, Errors.relativeL2Finite(rb.get(e.getKey()).data(), e.getValue().data()));
        }
        return worst;
    }
}
