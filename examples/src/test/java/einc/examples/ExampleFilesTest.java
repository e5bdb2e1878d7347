package einc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Printer;
import einc.ir.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every example file has a header naming its paper and what it simplifies, and a numerical test. */
class ExampleFilesTest {

    /** The files {@link AttentionVariantsTest} checks; a new example must be added here and there. */
    static final Set<String> TESTED = new TreeSet<>(List.of(
            "agent.ein", "alibi.ein", "based.ein", "causal.ein", "cosine.ein", "differential.ein", "flow.ein",
            "gqa.ein", "linear.ein", "linear_causal.ein", "linear_causal_prefix.ein", "moh.ein", "mqa.ein",
            "relu.ein", "sigmoid.ein", "sinks_window.ein", "sliding_window.ein", "softcap.ein", "softmax.ein",
            "softmax_1pass.ein", "softplus_l1.ein"));

    /** LANGUAGE.md's own programs (§1, §7, §1 with a causal mask), kept exactly as written there. */
    static final Set<String> LANGUAGE_MD = Set.of("softmax.ein", "softmax_1pass.ein", "causal.ein");

    static final Pattern YEAR = Pattern.compile("\\b(19|20)\\d\\d\\b");

    static Set<String> files() throws IOException {
        try (Stream<Path> list = Files.list(Ein.examples().resolve("attention"))) {
            return new TreeSet<>(list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ein")).toList());
        }
    }

    @Test
    void everyExampleIsTested() throws IOException {
        assertEquals(TESTED, files());
    }

    @Test
    void everyExampleNamesItsPaperAndSimplifications() throws IOException {
        for (String name : files()) {
            List<String> header = Files.readAllLines(Ein.examples().resolve("attention").resolve(name)).stream()
                    .takeWhile(line -> line.startsWith("#")).toList();
            String text = String.join("\n", header);
            if (LANGUAGE_MD.contains(name)) {
                assertTrue(text.contains("FuseMax"), name + ": the header does not name FuseMax");
                continue;
            }
            assertTrue(header.size() >= 3, name + ": the header comment is missing");
            assertTrue(YEAR.matcher(text).find(), name + ": the header names no paper with its year");
            assertTrue(text.contains("Simplifies:") && text.contains("Formula:"), name + ": the header says no formula or simplification");
        }
    }

    /** The printer writes every example as .ein that compiles back to the same IR. */
    @Test
    void everyExamplePrintsBackToItself() throws IOException {
        for (String name : files()) {
            Cascade cascade = Ein.compile("attention/" + name);
            String printed = Printer.print(cascade);
            List<Cascade> again = Frontend.compile(new Source(name + " (printed)", printed));
            assertEquals(List.of(cascade), again, name + " printed as:\n" + printed);
        }
    }
}
