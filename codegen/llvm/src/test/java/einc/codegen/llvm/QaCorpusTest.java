package einc.codegen.llvm;

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
import einc.runtime.NativeKernel;
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
 * Every program of the QA corpus (written against LANGUAGE.md) on the LLVM backend, as written and
 * as {@code einc run} compiles it (the optimized plan), with the program's own inputs and
 * parameters: every output entry written, equal to the interpreter's (infinities and NaNs at the
 * same places).
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
                Map<String, Dense> want = Interpreter.run(c, x, p.inputs(), Interpreter.params(c, x, p.params()));
                if (EmptyExtents.any(x)) { // an extent of 0: einc run runs the cascade as written, lowered
                    check("lowered for an extent of 0", c, x, LlvmBackend.jit(EmptyExtents.lower(c, x)), p, want);
                    return;
                }
                check("as written", c, x, LlvmBackend.jit(c), p, want);
                check("optimized", c, x, LlvmBackend.jit(Pipeline.run(c, Pipeline.Options.defaults()).optimized()), p, want);
            }));
        }
        return tests;
    }

    private static void check(String how, Cascade c, Extents x, NativeKernel kernel, QaCorpus.Program p, Map<String, Dense> want) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        p.inputs().forEach((n, d) -> in.put(n, Examples.tensor(d)));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorDecl t : c.outputs()) {
            int[] shape = x.shape(t);
            long[] s = new long[shape.length];
            for (int i = 0; i < s.length; i++) s[i] = shape[i];
            Tensor o = Tensor.zeros(ElementType.F32, s);
            o.poison();
            out.put(t.name(), o);
        }
        kernel.run(in, out, p.params(), 2);
        for (TensorDecl t : c.outputs()) {
            Errors.assertAgrees(p.name() + " " + how + ": " + t.name(), out.get(t.name()).toDoubleArray(), want.get(t.name()).data(), 1e-5);
        }
    }
}
