package einc.codegen.jvm;

import einc.ir.Cascade;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every test cascade, on regular and ragged shapes, through the generic class, against the interpreter. */
class GenericBackendTest {

    /** Extents per cascade: a regular shape and a ragged one. */
    static List<Map<String, Long>> shapes(String name) {
        return switch (name) {
            case "prefix" -> List.of(Map.of("i", 1L), Map.of("i", 9L));
            case "unsliced" -> List.of(Map.of("b", 2L, "h", 3L, "i", 5L));
            case "above" -> List.of(Map.of("b", 1L, "h", 2L, "p", 9L, "m", 11L, "e", 4L, "f", 3L),
                    Map.of("b", 1L, "h", 1L, "p", 3L, "m", 3L, "e", 2L, "f", 2L));
            case "shifted" -> List.of(Map.of("i", 4L, "j", 4L), Map.of("i", 5L, "j", 3L));
            case "gqa" -> List.of(Map.of("b", 2L, "h", 4L, "g", 2L, "p", 9L, "m", 13L, "e", 8L, "f", 5L));
            case "alibi" -> List.of(Map.of("b", 1L, "h", 3L, "p", 7L, "m", 7L, "e", 4L, "f", 3L),
                    Map.of("b", 2L, "h", 2L, "p", 5L, "m", 11L, "e", 3L, "f", 6L));
            default -> List.of(Map.of("b", 2L, "h", 2L, "p", 8L, "m", 8L, "e", 4L, "f", 4L),
                    Map.of("b", 1L, "h", 3L, "p", 13L, "m", 37L, "e", 5L, "f", 7L),
                    Map.of("b", 1L, "h", 1L, "p", 17L, "m", 9L, "e", 16L, "f", 16L));
        };
    }

    @TestFactory
    List<DynamicTest> everyCascadeAgreesWithTheInterpreter() {
        List<DynamicTest> tests = new ArrayList<>();
        Map<String, Cascade> all = new LinkedHashMap<>(Cascades.all());
        all.put("above", Cascades.above());
        for (Map.Entry<String, Cascade> e : all.entrySet()) {
            JvmKernel k = JvmBackend.compile(e.getValue());
            tests.add(DynamicTest.dynamicTest(e.getKey() + " passes CheckClassAdapter",
                    () -> assertEquals("", Bytecode.check(k.genericClass()))));
            long seed = 1;
            for (Map<String, Long> shape : shapes(e.getKey())) {
                Map<String, Long> s = new LinkedHashMap<>(shape);
                long sd = seed++;
                tests.add(DynamicTest.dynamicTest(e.getKey() + " " + s,
                        () -> Check.againstInterpreter(e.getValue(), k.loadGeneric(), s, sd, 1e-5)));
                tests.add(DynamicTest.dynamicTest(e.getKey() + " " + s + " on one thread",
                        () -> Check.againstInterpreter(e.getValue(), k.loadGeneric().withThreads(1), s, sd + 100, 1e-5)));
            }
        }
        return tests;
    }
}
