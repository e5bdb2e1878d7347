package einc.codegen.cuda;

import einc.ir.Cascade;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Public access to {@link EinExamples} for small command-line probes. */
public final class EinExamplesAccess {
    private EinExamplesAccess() {}

    public static Map<String, Cascade> get(List<Path> dirs) throws java.io.IOException {
        return EinExamples.under(dirs);
    }
}
