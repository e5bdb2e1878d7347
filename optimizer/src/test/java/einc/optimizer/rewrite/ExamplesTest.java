package einc.optimizer.rewrite;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Printer;
import einc.ir.Source;
import einc.ir.TensorDecl;
import einc.optimizer.Pipeline;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every example under {@code examples/}: optimized with the IR verified after each pass, printed as
 * {@code .ein} that parses back to the same text, computing the same numbers as the original on
 * ragged shapes, and matching its golden file ({@code -Deinc.updateGolden=true} rewrites them).
 */
class ExamplesTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path GOLDEN = Path.of("src/test/resources/golden/examples");

    static List<Path> exampleFiles() throws IOException {
        try (Stream<Path> s = Files.walk(ROOT.resolve("examples"))) {
            Path examples = ROOT.resolve("examples");
            return s.filter(p -> p.toString().endsWith(".ein"))
                    .filter(p -> !examples.relativize(p).startsWith("src") && !examples.relativize(p).startsWith("target")) // test data, not examples
                    .sorted().toList();
        }
    }

    static List<Cascade> parse(Path file) throws IOException {
        return Frontend.compile(new Source(ROOT.relativize(file).toString(), Files.readString(file)));
    }

    @TestFactory
    List<DynamicTest> everyExample() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : exampleFiles())
            for (Cascade c : parse(file))
                tests.add(DynamicTest.dynamicTest(ROOT.relativize(file) + " " + c.name(), () -> check(file, c)));
        assertFalse(tests.isEmpty(), "no examples found under " + ROOT.resolve("examples"));
        return tests;
    }

    private static void check(Path file, Cascade c) throws IOException {
        Pipeline.Outcome out = Pipeline.run(c, Pipeline.Options.defaults().withVerifyEach(true));
        String printed = Printer.print(out.optimized());
        List<Cascade> back = Frontend.compile(new Source("<printed>", printed));
        assertEquals(printed, Printer.print(back.getFirst()), "the optimized cascade prints as .ein that parses back");
        // the same numbers on ragged shapes, with the tile small enough that there are several tiles
        Cascade small = Pipeline.run(c, Pipeline.Options.defaults().withTile(4).withVerifyEach(true)).optimized();
        for (long[] pm : new long[][] {{7, 10}, {8, 8}, {3, 5}}) {
            Map<String, Long> shape = shape(c, pm[0], pm[1]);
            double err = Oracle.error(c, small, shape, Map.of(), pm[0] * 7 + pm[1]);
            assertTrue(err < 1e-9, c.name() + " P=" + pm[0] + " M=" + pm[1] + ": relative error " + err);
            err = Oracle.error(c, back.getFirst(), shape, Map.of(), 3);
            assertTrue(err < 1e-9, c.name() + " printed and parsed back: relative error " + err);
        }
        Golden.check(GOLDEN.resolve(ROOT.resolve("examples").relativize(file).toString().replace(".ein", "") + "/" + c.name() + ".ein"),
                report(out));
    }

    /**
     * Extents for every index of the inputs: p and m as given, batch ranks 1 and 2, extents that
     * divide in an index expression 1 (so that {@code H / G} is not 0), the rest 3.
     */
    static Map<String, Long> shape(Cascade c, long p, long m) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (einc.ir.Einsum s : c.statements())
            einc.ir.Exprs.forEach(s.body(), x -> {
                if (x instanceof einc.ir.Expr.Access a) a.indices().forEach(ix -> divisors(ix, out));
            });
        for (TensorDecl t : c.inputs())
            for (var r : t.ranks()) {
                String ix = r.index();
                long v = ix.equals("p") ? p : ix.equals("m") ? m : c.batchRanks().contains(ix) ? 1 + c.batchRanks().indexOf(ix) : 3;
                out.putIfAbsent(ix, v);
            }
        return out;
    }

    private static void divisors(einc.ir.IndexExpr ix, Map<String, Long> out) {
        if (ix instanceof einc.ir.IndexExpr.IBin(einc.ir.IndexExpr.IOp op, einc.ir.IndexExpr a, einc.ir.IndexExpr b)) {
            if (op == einc.ir.IndexExpr.IOp.DIV || op == einc.ir.IndexExpr.IOp.MOD) {
                List<String> named = new ArrayList<>();
                einc.ir.Exprs.collectExtents(b, named);
                named.forEach(n -> out.putIfAbsent(n, 1L));
            }
            divisors(a, out);
            divisors(b, out);
        }
    }

    /** The golden text: the rewrites that applied and what they changed, then the optimized cascade. */
    static String report(Pipeline.Outcome out) {
        StringBuilder sb = new StringBuilder();
        for (Pipeline.Step s : out.applied()) {
            sb.append("# ").append(s.pass()).append('\n');
            for (String ch : s.result().changes()) sb.append("#   ").append(ch).append('\n');
        }
        sb.append(Printer.print(out.optimized()));
        return sb.toString();
    }
}
