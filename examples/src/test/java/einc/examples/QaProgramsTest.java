package einc.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.Interpreter;
import einc.ir.Source;
import einc.testing.QaCorpus;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Programs written by QA against LANGUAGE.md (every scalar function, masks that empty rows, ragged
 * splits, recurrences, batch ranks, types...): each {@code qa/NAME.ein} runs on the interpreter
 * with the inputs of {@code qa/NAME.data} and must give the outputs numpy computed independently.
 */
class QaProgramsTest {

    @TestFactory
    Stream<DynamicTest> everyQaProgramMatchesItsIndependentExpectation() {
        Path dir = Ein.examples().resolve("src/test/resources/qa");
        List<QaCorpus.Program> programs = QaCorpus.programs(dir);
        assertTrue(programs.size() >= 25, "expected at least 25 QA programs in " + dir);
        return programs.stream().map(p -> DynamicTest.dynamicTest(p.file().getFileName().toString(), () -> check(p)));
    }

    private static void check(QaCorpus.Program data) {
        List<Cascade> all = Frontend.compile(new Source(data.file().toString(), data.source()));
        Cascade c = data.cascade() == null ? all.getFirst()
                : all.stream().filter(x -> x.name().equals(data.cascade())).findFirst().orElseThrow();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        data.inputs().forEach((name, d) -> shapes.put(name, d.shape()));
        Extents x = Extents.bind(c, shapes, Map.of());
        Map<String, Dense> got = Interpreter.run(c, x, data.inputs(), Interpreter.params(c, x, data.params()));
        data.expected().forEach((name, want) -> {
            Dense g = got.get(name);
            assertArrayEquals(want.shape(), g.shape(), name + ": shape");
            double diff = 0, norm = 0;
            for (int i = 0; i < want.data().length; i++) {
                double w = want.data()[i], v = g.data()[i];
                if (Double.isNaN(w) || Double.isNaN(v)) {
                    assertEquals(Double.isNaN(w), Double.isNaN(v), name + "[" + i + "]: NaN in one of want " + w + ", got " + v);
                    continue;
                }
                if (Double.isInfinite(w) || Double.isInfinite(v)) {
                    assertEquals(w, v, name + "[" + i + "]");
                    continue;
                }
                diff += (w - v) * (w - v);
                norm += w * w;
            }
            assertTrue(Math.sqrt(diff) <= 1e-9 * Math.max(Math.sqrt(norm), 1e-30),
                    name + ": relative L2 error " + Math.sqrt(diff / Math.max(norm, 1e-300)));
        });
    }
}
