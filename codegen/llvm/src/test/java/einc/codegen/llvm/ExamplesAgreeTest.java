package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.optimizer.Pipeline;
import einc.ir.Dense;
import einc.runtime.NativeKernel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;


/**
 * Every cascade of every example file, as written and as the optimizer rewrites it,
 * JIT-compiled by the LLVM backend, against the reference
 * interpreter on fresh random inputs of several shapes (ragged ones included), with two threads;
 * outputs are poisoned with NaN first so that an entry the kernel forgot to write fails.
 */
class ExamplesAgreeTest {

    static final double TOLERANCE = 1e-5;
    private static final Map<String, NativeKernel> KERNELS = new ConcurrentHashMap<>();

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        Path root = Examples.root();
        for (Path f : Examples.files())
            for (Cascade c : Examples.compile(f))
                for (int s = 0; s < Examples.SHAPES.size(); s++)
                    for (boolean optimized : new boolean[] {false, true})
                        out.add(Arguments.of(root.relativize(f).toString(), c.name(), s, optimized));
        return out;
    }

    @ParameterizedTest(name = "{0} {1} shape {2} optimized {3}")
    @MethodSource("cases")
    void agreesWithInterpreter(String file, String cascade, int shapeIndex, boolean optimized) {
        Cascade c = Examples.compile(Examples.root().resolve(file)).stream().filter(x -> x.name().equals(cascade)).findFirst().orElseThrow();
        // einc run hands the backend the optimized plan: compile that too, against the cascade as written.
        NativeKernel k = KERNELS.computeIfAbsent(file + "#" + cascade + "#" + optimized,
                key -> LlvmBackend.jit(optimized ? Pipeline.run(c, Pipeline.Options.defaults()).optimized() : c));
        Map<String, int[]> shapes = Examples.inputShapes(c, Examples.SHAPES.get(shapeIndex));
        Map<String, Dense> inputs = Examples.inputs(shapes, 31L * shapeIndex + file.hashCode());
        Map<String, Dense> want = Examples.reference(c, inputs, shapes);

        Examples.runAndCompare(k, inputs, want, TOLERANCE);
    }
}
