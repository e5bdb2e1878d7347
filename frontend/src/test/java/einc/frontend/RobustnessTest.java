package einc.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import einc.ir.Cascade;
import einc.ir.Diagnostic;
import einc.ir.EincException;
import einc.ir.Printer;
import einc.ir.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Seeded random mutations and truncations of the example programs (and of the bad programs
 * under errors/): the frontend answers each with diagnostics or a valid cascade, never another
 * exception; whatever compiles also survives the print/parse round trip.
 */
class RobustnessTest {

    /** How many mutants, and from which seed; -Deinc.fuzz.mutants=N -Deinc.fuzz.seed=S for a longer hunt. */
    static final int MUTANTS = Integer.getInteger("einc.fuzz.mutants", 10_000);
    static final long SEED = Long.getLong("einc.fuzz.seed", 20240611L);
    static final Pattern TOKEN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*|[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?|::|==|!=|<=|>=|&&|\\|\\||\\S");
    static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final String CHARS = "[](){},;:=+-*/%<>!&|#\n \t0123456789.eabmpkqKQVMPE_x$";
    static final String[] SNIPPETS = {"cascade", "batch", "input", "output", "param", "split", "by", "init", "where", "inf",
            " :: max(m)", " :: sum(e)", "[", "]", "(", ")", ",", "\n", ";", " + 1", " = 0", "m1", "M0", "exp(", "select(", "-", "!", "{", "}"};

    static List<String> seeds() throws IOException {
        List<String> out = new ArrayList<>();
        for (Path dir : List.of(ExamplesTest.EXAMPLES, DiagnosticsTest.ERRORS)) {
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(f -> f.toString().endsWith(".ein")).sorted().toList()) out.add(Files.readString(p));
            }
        }
        return out;
    }

    static String mutate(String s, Random r) {
        int n = s.length();
        int at = n == 0 ? 0 : r.nextInt(n);
        switch (r.nextInt(11)) {
            case 0 -> { // delete a character
                return n == 0 ? s : s.substring(0, at) + s.substring(at + 1);
            }
            case 1 -> { // insert a character
                return s.substring(0, at) + CHARS.charAt(r.nextInt(CHARS.length())) + s.substring(at);
            }
            case 2 -> { // replace a character
                return n == 0 ? s : s.substring(0, at) + CHARS.charAt(r.nextInt(CHARS.length())) + s.substring(at + 1);
            }
            case 3 -> { // truncate
                return s.substring(0, at);
            }
            case 4 -> { // insert a snippet
                return s.substring(0, at) + SNIPPETS[r.nextInt(SNIPPETS.length)] + s.substring(at);
            }
            case 5, 6 -> { // delete or duplicate a token
                List<int[]> tokens = spans(TOKEN, s);
                if (tokens.isEmpty()) return s;
                int[] t = tokens.get(r.nextInt(tokens.size()));
                String tok = s.substring(t[0], t[1]);
                return s.substring(0, t[0]) + (r.nextBoolean() ? "" : tok + " " + tok) + s.substring(t[1]);
            }
            case 7 -> { // swap two identifiers
                List<int[]> ids = spans(IDENT, s);
                if (ids.size() < 2) return s;
                int[] a = ids.get(r.nextInt(ids.size()));
                int[] b = ids.get(r.nextInt(ids.size()));
                if (a[0] == b[0]) return s;
                if (a[0] > b[0]) { int[] x = a; a = b; b = x; }
                return s.substring(0, a[0]) + s.substring(b[0], b[1]) + s.substring(a[1], b[0]) + s.substring(a[0], a[1]) + s.substring(b[1]);
            }
            case 8 -> { // replace an identifier by another one of the file
                List<int[]> ids = spans(IDENT, s);
                if (ids.size() < 2) return s;
                int[] a = ids.get(r.nextInt(ids.size()));
                int[] b = ids.get(r.nextInt(ids.size()));
                return s.substring(0, a[0]) + s.substring(b[0], b[1]) + s.substring(a[1]);
            }
            case 9 -> { // duplicate or delete a line
                List<String> lines = new ArrayList<>(s.lines().toList());
                if (lines.isEmpty()) return s;
                int i = r.nextInt(lines.size());
                if (r.nextBoolean()) lines.add(i, lines.get(i)); else lines.remove(i);
                return String.join("\n", lines) + "\n";
            }
            default -> { // swap two lines
                List<String> lines = new ArrayList<>(s.lines().toList());
                if (lines.size() < 2) return s;
                int i = r.nextInt(lines.size());
                int j = r.nextInt(lines.size());
                String x = lines.get(i);
                lines.set(i, lines.get(j));
                lines.set(j, x);
                return String.join("\n", lines) + "\n";
            }
        }
    }

    static List<int[]> spans(Pattern p, String s) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) out.add(new int[]{m.start(), m.end()});
        return out;
    }

    @Test
    void mutantsGiveDiagnosticsOrValidCascadesNeverACrash() throws IOException {
        List<String> seeds = seeds();
        assertFalse(seeds.isEmpty());
        Random random = new Random(SEED);
        int compiled = 0;
        int rejected = 0;
        for (int i = 0; i < MUTANTS; i++) {
            String text = seeds.get(random.nextInt(seeds.size()));
            int edits = 1 + random.nextInt(3);
            for (int k = 0; k < edits; k++) text = mutate(text, random);
            Source source = new Source("mutant" + i + ".ein", text);
            List<Cascade> cascades;
            try {
                cascades = Frontend.compile(source);
            } catch (EincException e) {
                rejected++;
                assertFalse(e.diagnostics().isEmpty());
                for (Diagnostic d : e.diagnostics()) {
                    assertTrue(d.span() != null && d.span().line() >= 1, () -> "diagnostic without a position: " + d.message());
                    assertFalse(d.render().isEmpty());
                }
                continue;
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError("mutant " + i + " crashed the frontend with " + e + ":\n" + text, e);
            }
            compiled++;
            for (Cascade c : cascades) {
                String printed = Printer.print(c);
                try {
                    List<Cascade> again = Frontend.compile(new Source("printed.ein", printed));
                    assertEquals(List.of(c), again, () -> "round trip of a mutant changed its IR:\n" + source.text() + "\nprinted:\n" + printed);
                } catch (EincException e) {
                    fail("the printed form of a valid mutant does not compile:\n" + source.text() + "\nprinted:\n" + printed + "\n" + e.render());
                }
            }
        }
        assertEquals(MUTANTS, compiled + rejected);
        assertTrue(rejected > MUTANTS / 2, "most mutants should be wrong programs");
    }
}
