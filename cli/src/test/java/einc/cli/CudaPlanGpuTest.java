package einc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.IndexDef;
import einc.ir.Interpreter;
import einc.ir.Source;
import einc.ir.TensorDecl;
import einc.runtime.cuda.CudaCheck;
import einc.runtime.cuda.CudaUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a machine with a GPU: what {@code einc run --backend cuda} runs, the optimized plan (its tiled
 * online softmax read back by the fused kernel), agrees with the interpreter on the cascade as
 * written, on a ragged shape. Skips cleanly without a GPU.
 */
@Tag("gpu")
class CudaPlanGpuTest {

    @Test
    void theOptimizedPlansRunOnTheGpu() throws Exception {
        try {
            CudaCheck.require();
        } catch (CudaUnavailableException e) {
            Assumptions.abort("no GPU: " + e.getMessage());
        }
        OptimizeOptions defaults = new OptimizeOptions();
        for (String f : List.of("softmax", "causal", "sliding_window", "sinks_window", "alibi", "softcap", "gqa", "mqa",
                "sigmoid", "relu", "softplus_l1", "softmax_1pass", "linear", "differential")) {
            Path file = Path.of("../examples/attention", f + ".ein");
            Cascade written = Frontend.compile(new Source(file.toString(), Files.readString(file))).getFirst();
            Backends.Plan plan = defaults.plan(written);
            Map<String, Long> explicit = new LinkedHashMap<>();
            Map<String, Long> shape = Map.of("b", 2L, "h", 2L, "g", 1L, "p", 70L, "m", 93L, "e", 40L, "f", 24L);
            for (IndexDef d : written.indices()) if (shape.containsKey(d.name())) explicit.put(d.name(), shape.get(d.name()));
            Extents x = plan.bind(Map.of(), explicit);
            Random rnd = new Random(f.hashCode());
            Map<String, Dense> in = new LinkedHashMap<>();
            for (TensorDecl t : written.inputs()) {
                Dense d = Dense.zeros(x.shape(t));
                for (int i = 0; i < d.data().length; i++) d.data()[i] = (float) rnd.nextGaussian();
                in.put(t.name(), d);
            }
            Map<String, Double> params = Interpreter.params(written, x, Map.of());
            Map<String, Dense> want = Interpreter.run(written, x, in, params);
            Map<String, Dense> got = Backends.byName("cuda").run(plan, x, in, params);
            for (var e : want.entrySet()) {
                double[] a = e.getValue().data(), b = got.get(e.getKey()).data();
                assertEquals(a.length, b.length);
                double num = 0, den = 0;
                for (int i = 0; i < a.length; i++) {
                    num += (a[i] - b[i]) * (a[i] - b[i]);
                    den += a[i] * a[i];
                }
                double err = Math.sqrt(num / den);
                assertTrue(err < 1e-5, f + " " + e.getKey() + ": relative L2 error " + err);
            }
        }
    }
}
