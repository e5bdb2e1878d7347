package einc.codegen.jvm;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.optimizer.Pipeline;
import einc.ir.IndexDef;
import einc.ir.Source;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Every example in {@code examples/}, parsed by the frontend, on both code paths (the generic one
 * also on the optimized plan) and regular and ragged shapes.
 */
class ExamplesTest {

    static final List<Map<String, Long>> SHAPES = List.of(
            Map.of("b", 1L, "h", 2L, "g", 1L, "p", 16L, "m", 16L, "e", 16L, "f", 16L),
            Map.of("b", 2L, "h", 1L, "g", 1L, "p", 13L, "m", 77L, "e", 5L, "f", 7L));

    static List<Path> examples() throws IOException {
        Path root = Path.of("../../examples");
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(".ein"))
                    .filter(f -> !root.relativize(f).startsWith("src") && !root.relativize(f).startsWith("target")) // test data, not examples
                    .sorted().toList();
        }
    }

    /** Explicit extents for every index class, from {@code shape} by name (6 for names it lacks). */
    static Map<String, Long> extents(Cascade c, Map<String, Long> shape) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (IndexDef d : c.indices())
            if (d.rule() instanceof IndexDef.Bound(String rep) && rep.equals(d.name())) out.put(d.name(), shape.getOrDefault(d.name(), 6L));
        return out;
    }

    /** What {@code einc run} compiles, the optimized plan (online softmax tiled over the keys), is fused too. */
    @Test
    void theOptimizedPlansOfAttentionExamplesAreFused() throws IOException {
        for (String f : List.of("softmax", "causal", "sliding_window", "sinks_window", "alibi", "softcap", "gqa", "mqa",
                "sigmoid", "relu", "softplus_l1", "softmax_1pass")) {
            Path file = Path.of("../../examples/attention", f + ".ein");
            for (Cascade c : Frontend.compile(new Source(file.toString(), Files.readString(file)))) {
                JvmKernel k = JvmBackend.compile(Pipeline.run(c, Pipeline.Options.defaults()).optimized());
                assertNotNull(k.fusedClass(), f + ": " + k.fusedNote());
            }
        }
    }

    @Test
    void attentionWithoutSoftmaxOrWithMasksBeyondBoundsIsFused() throws IOException {
        for (String f : List.of("sigmoid.ein", "relu.ein", "softplus_l1.ein", "sliding_window.ein", "sinks_window.ein")) {
            Path file = Path.of("../../examples/attention", f);
            for (Cascade c : Frontend.compile(new Source(file.toString(), Files.readString(file)))) {
                JvmKernel k = JvmBackend.compile(c);
                assertNotNull(k.fusedClass(), f + ": " + k.fusedNote());
            }
        }
    }

    @TestFactory
    List<DynamicTest> everyExampleAgreesWithTheInterpreter() throws IOException {
        List<Path> files = examples();
        assertFalse(files.isEmpty(), "no examples found");
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : files) {
            for (Cascade c : Frontend.compile(new Source(file.toString(), Files.readString(file)))) {
                JvmKernel k = JvmBackend.compile(c);
                // einc run hands the generic path the optimized plan: compile that too, against the cascade as written.
                JvmKernel optimized = JvmBackend.compile(Pipeline.run(c, Pipeline.Options.defaults()).optimized());
                String name = file.getFileName() + " " + c.name();
                tests.add(DynamicTest.dynamicTest(name + " passes CheckClassAdapter", () -> {
                    assertEquals("", Bytecode.check(k.genericClass()));
                    if (k.fusedClass() != null) assertEquals("", Bytecode.check(k.fusedClass()));
                }));
                long seed = 11;
                for (Map<String, Long> shape : SHAPES) {
                    Map<String, Long> x = extents(c, shape);
                    long sd = seed++;
                    tests.add(DynamicTest.dynamicTest(name + " generic " + x, () -> Check.againstInterpreter(c, k.loadGeneric(), x, sd, 1e-5)));
                    tests.add(DynamicTest.dynamicTest(name + " optimized, generic " + x, () -> Check.againstInterpreter(c, optimized.loadGeneric(), x, sd, 1e-5)));
                    if (k.fusedClass() != null)
                        tests.add(DynamicTest.dynamicTest(name + " fused " + x, () -> Check.againstInterpreter(c, k.loadFused(), x, sd, 1e-5)));
                }
            }
        }
        return tests;
    }
}
