package einc.cli;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.Dense;
import einc.ir.EincException;
import einc.ir.Extents;
import einc.ir.Interpreter;
import java.util.LinkedHashMap;
import java.util.Map;

/** The backends {@code einc run --backend NAME} can use, by name; adding one is one entry in {@link #ALL}. */
final class Backends {

    /** Runs a bound cascade on its inputs and returns its outputs (absent entries as 0), by name. */
    @FunctionalInterface
    interface Backend {
        Map<String, Dense> run(Plan plan, Extents x, Map<String, Dense> inputs, Map<String, Double> params);
    }

    /**
     * What a backend runs: the optimized plan (the cascade as written under {@code --no-optimize}).
     * The cascade as written is kept for diagnostics that point at the user's lines. The fused
     * attention kernels take the plan: they read its tiled online softmax through
     * {@code einc.optimizer.attention.OnlineForm} and run it one key tile at a time.
     */
    record Plan(Cascade written, Cascade optimized) {

        /**
         * Binds the extents of {@code optimized}, after checking them on {@code written} so that an
         * error (a shape conflict, a division by zero) points at the user's own source lines.
         */
        Extents bind(Map<String, int[]> inputShapes, Map<String, Long> explicit) {
            if (written != optimized) Extents.bind(written, inputShapes, explicit);
            return Extents.bind(optimized, inputShapes, explicit);
        }
    }

    private static final Map<String, Backend> ALL = new LinkedHashMap<>();

    static {
        ALL.put("reference", (plan, x, in, params) -> Interpreter.run(plan.optimized(), x, in, params));
        ALL.put("jvm", (plan, x, in, params) -> JvmRunner.run(plan.optimized(), x, in, params));
        ALL.put("llvm", (plan, x, in, params) -> LlvmRunner.run(plan.optimized(), x, in, params));
        // the fused CUDA kernel reads the plan's tiled online softmax untiled; anything else runs per statement
        ALL.put("cuda", (plan, x, in, params) -> einc.codegen.cuda.CudaBackend.run(CudaCompile.kernelCascade(plan.optimized()), x, in, params));
    }

    private Backends() {}

    /** The backend called {@code name}. @throws EincException naming the backends there are */
    static Backend byName(String name) {
        Backend b = ALL.get(name);
        if (b == null) {
            throw EincException.plain(Code.BAD_ARGUMENT, "unknown backend '" + name + "'; the backends are " + String.join(", ", ALL.keySet()));
        }
        return b;
    }
}
