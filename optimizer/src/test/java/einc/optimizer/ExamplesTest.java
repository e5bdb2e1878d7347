package einc.optimizer;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Source;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The explain report of every {@code .ein} under {@code examples/}, against golden files in
 * {@code src/test/resources/golden/} (same relative path, {@code .txt}); and the pass counts of
 * FuseMax's cascades. Regenerate the golden files with {@code -Deinc.updateGolden=true} (or
 * {@code EINC_UPDATE_GOLDEN=1}, as for every golden test of the project) and review the diff.
 */
class ExamplesTest {

    static final Path EXAMPLES = Path.of("..", "examples");
    static final Path GOLDEN = Path.of("src", "test", "resources", "golden");
    static final boolean UPDATE = Boolean.getBoolean("einc.updateGolden") || "1".equals(System.getenv("EINC_UPDATE_GOLDEN"));

    static List<Cascade> compile(Path file) {
        try {
            return Frontend.compile(new Source(file.toString(), Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Cascade only(String example) {
        List<Cascade> cs = compile(EXAMPLES.resolve(example));
        assertEquals(1, cs.size(), example);
        return cs.getFirst();
    }

    static Map<String, Integer> passes(String example) {
        return CountPasses.run(only(example)).passes();
    }

    @Test
    void fuseMaxPassCounts() {
        assertEquals(Map.of("k", 2), passes("fusemax/cascade1.ein"));
        assertEquals(Map.of("k", 1), passes("fusemax/cascade2.ein"));
        assertEquals(Map.of("k", 1), passes("fusemax/cascade3.ein"));
        assertEquals(Map.of("m", 3, "e", 1), passes("fusemax/cascade4.ein"));
        assertEquals(Map.of("m", 2, "e", 1), passes("fusemax/cascade_2pass.ein"));
        assertEquals(Map.of("m", 1, "e", 1), passes("fusemax/cascade5.ein"));
        assertEquals(Map.of("m", 3, "e", 1), passes("attention/causal.ein"));
    }

    @Test
    void cascade4NamesGmAndSdAsTheCauses() {
        CountPasses.Result r = CountPasses.run(only("fusemax/cascade4.ein"));
        assertEquals(List.of(List.of("GM"), List.of("SD")), r.boundaries("m").stream().map(CountPasses.Boundary::complete).toList());
    }

    @Test
    void cascade4FlopsFromTheFileMatchTheHandCount() {
        long b = 2, h = 3, p = 16, m = 40, e = 8, f = 4;
        FlopCount c = Flops.count(only("fusemax/cascade4.ein"), Map.of("b", b, "h", h, "p", p, "m", m, "e", e, "f", f));
        long bh = b * h;
        // QK: scale·Q·K is two multiplies and an add per (m, p, e); AV: one multiply-add per (p, f, m).
        assertEquals(bh * (2 * m * p * e + p * f * m), c.multiplies());
        assertEquals(bh * (m * p * e + 2 * m * p + p * f * m), c.adds());
        assertEquals(bh * m * p, c.transcendentals());
        assertEquals(bh * m * p, c.divisions());
        assertEquals(bh * m * p, c.comparisons());
    }

    @Test
    void footprintsFromTheFilesMatchTheHandCounts() {
        Explain four = Explain.of(only("fusemax/cascade4.ein"), Map.of());
        // group 1 holds QK and SN (P·M each) and GM and SD (P each), 4 bytes each, per (b, h)
        assertEquals("8·M·P + 8·P", four.footprint().liveBytesPerGroup().get(four.peakGroup()).toString());
        Explain five = Explain.of(only("fusemax/cascade5.ein"), Map.of());
        // RM RD LM SLD PRM: P; RNV SLNV: P·F; BQK SLN: one tile, M0·P; nothing grows with M
        assertEquals("8·F·P + 8·M0·P + 20·P", five.footprint().liveBytesPerGroup().get(five.peakGroup()).toString());
    }

    @TestFactory
    Stream<DynamicTest> goldenReports() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(EXAMPLES)) {
            files = walk.filter(f -> f.toString().endsWith(".ein"))
                    .filter(f -> !EXAMPLES.relativize(f).startsWith("src") && !EXAMPLES.relativize(f).startsWith("target")) // test data, not examples
                    .sorted().toList();
        }
        return files.stream().map(file -> DynamicTest.dynamicTest(EXAMPLES.relativize(file).toString(), () -> {
            StringBuilder report = new StringBuilder();
            for (Cascade c : compile(file)) {
                if (!report.isEmpty()) report.append('\n');
                report.append(ExplainText.render(Explain.of(c, Map.of())));
            }
            String rel = EXAMPLES.relativize(file).toString().replace('\\', '/');
            Path golden = GOLDEN.resolve(rel.substring(0, rel.length() - ".ein".length()) + ".txt");
            if (UPDATE) {
                Files.createDirectories(golden.getParent());
                Files.writeString(golden, report.toString());
            }
            String expected = Files.exists(golden) ? Files.readString(golden) : "(no golden file " + golden + ": run with -Deinc.updateGolden=true)";
            assertEquals(expected, report.toString(), "explain report of " + file);
        }));
    }
}
