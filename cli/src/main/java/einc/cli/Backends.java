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
     * What a backend runs: the cascade as the user wrote it and the optimized one (the same
     * instance under {@code --no-optimize}); extents are bound on {@code optimized}. A backend
     * runs {@code optimized} unless a fused kernel of its own recognizes {@code written}: the
     * fused attention kernels match the multi-pass form and do the online softmax themselves.
     */
    record Plan(Cascade written, Cascade optimized) {}

    private static final Map<String, Backend> ALL = new LinkedHashMap<>();

    static {
        ALL.put("reference", (plan, x, in, params) -> Interpreter.run(plan.optimized(), x, in, params));
        ALL.put("jvm", JvmRunner::run);
        // the fused LLVM kernel, like the JVM's, recognizes the cascade as written; anything else runs optimized
        ALL.put("llvm", (plan, x, in, params) -> LlvmRunner.run(
                einc.codegen.llvm.LlvmBackend.choose(plan.written(), plan.optimized()), x, in, params));
        // the fused CUDA kernel recognizes the cascade as written (multi-pass); anything else runs optimized
        ALL.put("cuda", (plan, x, in, params) -> einc.codegen.cuda.CudaBackend.run(
                einc.codegen.cuda.AttentionRecognizer.recognize(plan.written()).pattern().isPresent() ? plan.written() : plan.optimized(), x, in, params));
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
