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
        Map<String, Dense> run(Cascade c, Extents x, Map<String, Dense> inputs, Map<String, Double> params);
    }

    private static final Map<String, Backend> ALL = new LinkedHashMap<>();

    static {
        ALL.put("reference", Interpreter::run);
        ALL.put("llvm", LlvmRunner::run);
        ALL.put("cuda", einc.codegen.cuda.CudaBackend::run);
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
