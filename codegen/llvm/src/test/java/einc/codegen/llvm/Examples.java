package einc.codegen.llvm;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Dense;
import einc.ir.Extents;
import einc.ir.IndexDef;
import einc.ir.Interpreter;
import einc.ir.Rank;
import einc.ir.Source;
import einc.ir.TensorDecl;
import einc.runtime.ElementType;
import einc.runtime.NativeKernel;
import einc.runtime.Tensor;
import einc.testing.Errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/** The example cascades of the repository, shapes for them, random inputs and the reference outputs. */
final class Examples {

    private Examples() {}

    /** The {@code examples/} folder, found from the module directory upwards. */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("examples/attention"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no examples/ folder above " + Path.of("").toAbsolutePath());
        return p.resolve("examples");
    }

    /** Every {@code .ein} file under {@code examples/}, sorted. */
    static List<Path> files() {
        try (Stream<Path> walk = Files.walk(root())) {
            return walk.filter(f -> f.toString().endsWith(".ein"))
                    .filter(f -> !root().relativize(f).startsWith("src") && !root().relativize(f).startsWith("target")) // test data, not examples
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Cascade> compile(Path file) {
        try {
            return Frontend.compile(new Source(file.toString(), Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Extents by the name of an index class's representative; ragged ones (M = 70 over tiles of 64,
     * odd extents everywhere) are included.
     */
    static final List<Map<String, Integer>> SHAPES = List.of(
            Map.of("b", 1, "h", 1, "g", 1, "p", 1, "m", 1, "e", 1, "f", 1),
            Map.of("b", 1, "h", 2, "g", 1, "p", 5, "m", 7, "e", 3, "f", 4),
            Map.of("b", 2, "h", 4, "g", 2, "p", 17, "m", 70, "e", 5, "f", 9),
            Map.of("b", 1, "h", 2, "g", 2, "p", 33, "m", 33, "e", 8, "f", 8));

    /** The shapes of every input of {@code c} under extent set {@code shape}. */
    static Map<String, int[]> inputShapes(Cascade c, Map<String, Integer> shape) {
        Map<String, String> rep = new LinkedHashMap<>();
        for (IndexDef d : c.indices()) rep.put(d.name(), d.rule() instanceof IndexDef.Bound(String r) ? r : d.name());
        Map<String, int[]> out = new LinkedHashMap<>();
        for (TensorDecl t : c.inputs()) {
            int[] s = new int[t.arity()];
            for (int k = 0; k < s.length; k++) {
                Rank r = t.ranks().get(k);
                String name = rep.get(r.index());
                s[k] = shape.getOrDefault(name, shape.getOrDefault(r.index(), 3)) + (r.iterative() ? 1 : 0);
            }
            out.put(t.name(), s);
        }
        return out;
    }

    /** Seeded standard normal inputs, rounded to f32 so that both sides read the same values. */
    static Map<String, Dense> inputs(Map<String, int[]> shapes, long seed) {
        Random rng = new Random(seed);
        Map<String, Dense> out = new LinkedHashMap<>();
        for (var e : shapes.entrySet()) {
            Dense d = Dense.zeros(e.getValue());
            for (int i = 0; i < d.data().length; i++) d.data()[i] = (float) rng.nextGaussian();
            out.put(e.getKey(), d);
        }
        return out;
    }

    static Tensor tensor(Dense d) {
        long[] shape = new long[d.shape().length];
        for (int k = 0; k < shape.length; k++) shape[k] = d.shape()[k];
        Tensor t = Tensor.zeros(ElementType.F32, shape);
        t.copyFrom(d.data());
        return t;
    }

    static Map<String, Dense> reference(Cascade c, Map<String, Dense> inputs, Map<String, int[]> shapes) {
        Extents x = Extents.bind(c, shapes, Map.of());
        return Interpreter.run(c, x, inputs, Interpreter.params(c, x, Map.of()));
    }

    /**
     * Runs {@code k} on 2 threads over {@code inputs} into poisoned outputs and checks them against
     * the interpreter's {@code want}: every entry the reference defines was written, and the
     * relative L2 error is below {@code tolerance}.
     */
    static void runAndCompare(NativeKernel k, Map<String, Dense> inputs, Map<String, Dense> want, double tolerance) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        inputs.forEach((n, d) -> in.put(n, tensor(d)));
        Map<String, Tensor> out = new LinkedHashMap<>();
        want.forEach((n, d) -> {
            long[] shape = new long[d.shape().length];
            for (int i = 0; i < shape.length; i++) shape[i] = d.shape()[i];
            Tensor t = Tensor.zeros(ElementType.F32, shape);
            t.poison();
            out.put(n, t);
        });
        k.run(in, out, Map.of(), 2);
        for (var e : want.entrySet()) {
            double[] got = out.get(e.getKey()).toDoubleArray();
            double[] ref = e.getValue().data();
            assertEquals(ref.length, got.length);
            for (int i = 0; i < got.length; i++)
                if (!Double.isNaN(ref[i])) assertFalse(Double.isNaN(got[i]), e.getKey() + "[" + i + "] is NaN (not written?), want " + ref[i]);
            double err = Errors.relativeL2(got, ref);
            assertTrue(err < tolerance, e.getKey() + ": relative L2 error " + err);
        }
    }
}
