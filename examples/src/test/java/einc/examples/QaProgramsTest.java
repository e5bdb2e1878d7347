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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

    /** What a {@code .data} file holds: the cascade to run, parameters, inputs and expected outputs. */
    private record Data(String cascade, Map<String, Double> params, Map<String, Dense> inputs, Map<String, Dense> expected) {}

    @TestFactory
    Stream<DynamicTest> everyQaProgramMatchesItsIndependentExpectation() throws IOException {
        Path dir = Ein.examples().resolve("src/test/resources/qa");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".ein")).sorted().toList();
        }
        assertTrue(files.size() >= 25, "expected at least 25 QA programs in " + dir);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
    }

    private static void check(Path file) throws IOException {
        Data data = read(Path.of(file.toString().replaceAll("\\.ein$", ".data")));
        List<Cascade> all = Frontend.compile(new Source(file.toString(), Files.readString(file)));
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

    /** Lines: {@code cascade NAME}, {@code param NAME VALUE}, {@code input|expect NAME D1 D2 ... : V1 V2 ...}. */
    private static Data read(Path path) throws IOException {
        String cascade = null;
        Map<String, Double> params = new LinkedHashMap<>();
        Map<String, Dense> inputs = new LinkedHashMap<>(), expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(path)) {
            String[] w = line.trim().split("\\s+");
            switch (w[0]) {
                case "cascade" -> cascade = w[1];
                case "param" -> params.put(w[1], Double.parseDouble(w[2]));
                case "input", "expect" -> {
                    int colon = Arrays.asList(w).indexOf(":");
                    int[] shape = Arrays.stream(w, 2, colon).mapToInt(Integer::parseInt).toArray();
                    double[] values = Arrays.stream(w, colon + 1, w.length).mapToDouble(Double::parseDouble).toArray();
                    (w[0].equals("input") ? inputs : expected).put(w[1], new Dense(shape, values));
                }
                default -> throw new IllegalStateException(path + ": unexpected line " + line);
            }
        }
        return new Data(cascade, params, inputs, expected);
    }
}
