package einc.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import einc.ir.Code;
import einc.ir.Diagnostic;
import einc.ir.EincException;
import einc.ir.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Programs that must fail, one per file under {@code errors/}, with their expected diagnostics
 * written inside as comments: {@code # expect: error unknown-tensor 7:14} (severity, code,
 * line:column). Every expected diagnostic must come, and no other. The rendered messages are
 * compared with the golden file next to each program ({@code NAME.txt}); run the tests with
 * {@code -Deinc.updateGolden=true} to rewrite them, then review the diff.
 */
class DiagnosticsTest {

    static final Path ERRORS = Path.of("src", "test", "resources", "errors");
    static final Pattern EXPECT = Pattern.compile("#\\s*expect:\\s*(error|warning|note)\\s+([a-z0-9-]+)\\s+(\\d+):(\\d+)");
    static final boolean UPDATE = Boolean.getBoolean("einc.updateGolden");

    static Stream<Path> programs() throws IOException {
        try (Stream<Path> list = Files.list(ERRORS)) {
            return list.filter(p -> p.toString().endsWith(".ein")).sorted().toList().stream();
        }
    }

    static List<String> expectations(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = EXPECT.matcher(text);
        while (m.find()) out.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + ":" + m.group(4));
        return out;
    }

    static List<Diagnostic> diagnostics(Source source) {
        try {
            Frontend.compile(source);
            return List.of();
        } catch (EincException e) {
            return e.diagnostics();
        }
    }

    static String key(Diagnostic d) {
        return d.severity().label() + " " + d.code().id() + " " + d.span().line() + ":" + d.span().column();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void reportsExactlyTheExpectedDiagnostics(Path file) throws IOException {
        String text = Files.readString(file);
        Source source = new Source("errors/" + file.getFileName(), text);
        List<Diagnostic> actual = diagnostics(source);
        List<String> expected = expectations(text).stream().sorted().toList();
        List<String> got = actual.stream().map(DiagnosticsTest::key).sorted().toList();
        StringBuilder rendered = new StringBuilder();
        for (Diagnostic d : actual) rendered.append(d.render());
        Path golden = file.resolveSibling(file.getFileName().toString().replaceAll("\\.ein$", ".txt"));
        if (UPDATE) Files.writeString(golden, rendered.toString());
        assertFalse(expected.isEmpty(), () -> file + " expects nothing; it gives:\n" + String.join("\n", got) + "\n" + rendered);
        assertEquals(expected, got, () -> "diagnostics of " + file + ":\n" + rendered);
        for (Diagnostic d : actual) {
            assertTrue(d.hint() != null && !d.hint().isBlank(), () -> "no hint: " + d.render());
            assertFalse(Character.isUpperCase(d.message().charAt(0)), () -> "messages start in lower case: " + d.message());
            assertFalse(d.span().isNone(), () -> "no position: " + d.render());
        }
        if (!UPDATE) {
            assertTrue(Files.isRegularFile(golden), () -> "missing golden file " + golden + "; run with -Deinc.updateGolden=true");
            assertEquals(Files.readString(golden), rendered.toString(), () -> "rendered diagnostics of " + file + " differ from " + golden);
        }
    }

    /** The frontend's diagnostics are each exercised by some program under errors/. */
    @Test
    void everyFrontendDiagnosticHasAProgram() throws IOException {
        Set<String> covered = new TreeSet<>();
        try (Stream<Path> files = programs()) {
            for (Path p : files.toList()) for (String e : expectations(Files.readString(p))) covered.add(e.split(" ")[1]);
        }
        List<Code> frontend = List.of(Code.SYNTAX, Code.UNKNOWN_TENSOR, Code.UNKNOWN_INDEX, Code.UNKNOWN_NAME, Code.UNKNOWN_FUNCTION,
                Code.UNKNOWN_TYPE, Code.UNKNOWN_REDUCTION, Code.DUPLICATE_NAME, Code.DUPLICATE_CASCADE, Code.NAME_CLASHES_WITH_EXTENT,
                Code.NAME_CLASHES_WITH_INDEX, Code.INDEX_NOT_LOWER_CASE, Code.DUPLICATE_INDEX, Code.ARGUMENT_COUNT, Code.BAD_PARAM_DEFAULT,
                Code.ARITY_MISMATCH, Code.EXTENT_CONFLICT, Code.EXTENT_UNDETERMINED, Code.NOT_AFFINE, Code.BAD_SPLIT,
                Code.REDUCTION_MISMATCH, Code.TWO_REDUCTIONS, Code.MISPLACED_REDUCTION, Code.READ_BEFORE_ASSIGNED, Code.ASSIGNED_TWICE,
                Code.ASSIGN_TO_INPUT, Code.OUTPUT_NOT_ASSIGNED, Code.BAD_TARGET, Code.TYPE_MISMATCH, Code.RECURRENCE_NOT_CONTIGUOUS,
                Code.BAD_RECURRENCE, Code.BAD_INIT);
        for (Code c : frontend) assertTrue(covered.contains(c.id()), () -> "no program under errors/ expects " + c.id());
    }

    /** ANTLR's console listeners are replaced: a bad program prints nothing, it only throws. */
    @Test
    void badProgramsPrintNothingToTheConsole() throws IOException {
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        java.io.PrintStream capture = new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8);
        int failed = 0;
        try {
            System.setOut(capture);
            System.setErr(capture);
            for (Path p : programs().toList()) {
                if (!diagnostics(new Source(p.toString(), Files.readString(p))).isEmpty()) failed++;
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals("", buffer.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(programs().count(), failed);
    }

    @Test
    void diagnosticsComeInSourceOrder() throws IOException {
        Path p = ERRORS.resolve("many_errors.ein");
        List<Diagnostic> ds = diagnostics(new Source("many_errors.ein", Files.readString(p)));
        for (int i = 1; i < ds.size(); i++) {
            Diagnostic a = ds.get(i - 1);
            Diagnostic b = ds.get(i);
            assertTrue(a.span().line() < b.span().line() || (a.span().line() == b.span().line() && a.span().column() <= b.span().column()),
                    "out of order: " + key(a) + " before " + key(b));
        }
        if (ds.isEmpty()) fail("many_errors.ein compiled");
    }
}
