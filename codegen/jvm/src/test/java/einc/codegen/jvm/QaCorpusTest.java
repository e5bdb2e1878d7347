package einc.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.Source;
import einc.ir.TensorDecl;
import einc.optimizer.EmptyExtents;
import einc.optimizer.Pipeline;
import einc.runtime.ElementType;
import einc.runtime.Kernel;
import einc.runtime.Tensor;
import einc.testing.Errors;
import einc.testing.QaCorpus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every program of the QA corpus (written against LANGUAGE.md: masks that empty rows, shifted and
 * divided index positions, recurrences, scalars, batch ranks...) on the JVM backend, as written and
 * as {@code einc run} compiles it (the optimized plan), fused where the backend fuses, with the
 * program's own inputs and parameters: every output entry written, equal to the interpreter's.
 */
class QaCorpusTest {

    @TestFactory
    List<DynamicTest> everyQaProgramAgreesWithTheInterpreter() {
        List<QaCorpus.Program> programs = QaCorpus.programs(Path.of("../../examples/src/test/resources/qa"));
        assertTrue(programs.size() >= 25, "expected the QA corpus, found " + programs.size() + " programs");
        List<DynamicTest> tests = new ArrayList<>();
        for (QaCorpus.Program p : programs) {
            tests.add(DynamicTest.dynamicTest(p.name(), () -> {
                List<Cascade> all = Frontend.compile(new Source(p.file().toString(), p.source()));
                Cascade c = p.cascade() == null ? all.getFirst()
                        : all.stream().filter(x -> x.name().equals(p.cascade())).findFirst().orElseThrow();
                Map<String, int[]> shapes = new LinkedHashMap<>();
                p.inputs().forEach((n, d) -> shapes.put(n, d.shape()));
                Extents x = Extents.bind(c, shapes, Map.of());
                Map<String, Double> params = Interpreter.params(c, x, p.params());
                Map<String, Dense> want = Interpreter.run(c, x, p.inputs(), params);
                if (EmptyExtents.any(x)) { // an extent of 0: einc run runs the cascade as written, lowered
                    JvmKernel lowered = JvmBackend.compile(EmptyExtents.lower(c, x));
                    check("lowered for an extent of 0, generic", c, x, lowered.loadGeneric(), p, want);
                    if (lowered.fusedClass() != null) check("lowered for an extent of 0, fused", c, x, lowered.loadFused(), p, want);
                    return;
                }
                JvmKernel written = JvmBackend.compile(c);
                JvmKernel optimized = JvmBackend.compile(Pipeline.run(c, Pipeline.Options.defaults()).optimized());
                check("generic", c, x, written.loadGeneric(), p, want);
                check("optimized, generic", c, x, optimized.loadGeneric(), p, want);
                if (written.fusedClass() != null) check("fused", c, x, written.loadFused(), p, want);
                if (optimized.fusedClass() != null) check("optimized, fused", c, x, optimized.loadFused(), p, want);
            }));
        }
        return tests;
    }

    private static void check(String how, Cascade c, Extents x, Kernel kernel, QaCorpus.Program p, Map<String, Dense> want) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        p.inputs().forEach((n, d) -> in.put(n, Tensor.of(d.data(), longs(d.shape()))));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) {
            Tensor o = Tensor.zeros(ElementType.F32, longs(x.shape(t)));
            o.poison();
            out.put(t.name(), o);
        }
        kernel.run(in, out, p.params());
        for (TensorDecl t : c.outputs()) {
            Errors.assertAgrees(p.name() + " " + how + ": " + t.name(), out.get(t.name()).toDoubleArray(), want.get(t.name()).data(), 1e-5);
        }
    }

    private static long[] longs(int[] shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = shape[i];
        return s;
    }
}
