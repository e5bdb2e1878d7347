package einc.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import einc.ir.Cascade;
import einc.ir.EincException;
import einc.ir.Printer;
import einc.ir.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every example of the repository compiles without errors and survives a print/parse round trip. */
class ExamplesTest {

    static final Path EXAMPLES = Path.of("..", "examples");

    static Stream<Path> examples() throws IOException {
        if (!Files.isDirectory(EXAMPLES)) return Stream.empty();
        try (Stream<Path> walk = Files.walk(EXAMPLES)) {
            List<Path> files = walk.filter(p -> p.toString().endsWith(".ein")).sorted().toList();
            return files.stream();
        }
    }

    static Source read(Path p) throws IOException {
        return new Source(EXAMPLES.relativize(p).toString().replace('\\', '/'), Files.readString(p));
    }

    static List<Cascade> compile(Source s) {
        try {
            return Frontend.compile(s);
        } catch (EincException e) {
            return fail("expected " + s.path() + " to compile, got:\n" + e.render());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void compilesAndRoundTrips(Path file) throws IOException {
        List<Cascade> cascades = compile(read(file));
        assertFalse(cascades.isEmpty());
        for (Cascade c : cascades) {
            String printed = Printer.print(c);
            List<Cascade> again = compile(new Source("printed/" + c.name() + ".ein", printed));
            assertEquals(1, again.size());
            assertEquals(c, again.getFirst(), () -> "round trip changed the IR; printed:\n" + printed);
            assertEquals(printed, Printer.print(again.getFirst()));
        }
    }

    @org.junit.jupiter.api.Test
    void theThreeAttentionExamplesExist() {
        for (String name : List.of("softmax.ein", "softmax_1pass.ein", "causal.ein")) {
            assertFalse(!Files.isRegularFile(EXAMPLES.resolve("attention").resolve(name)), name);
        }
    }
}
