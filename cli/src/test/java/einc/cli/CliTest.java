package einc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.runtime.ElementType;
import einc.runtime.Npy;
import einc.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The einc command run in-process on temporary files: exit statuses, what goes to stdout and stderr, the .npy files. */
class CliTest {

    /** y = alpha * A k-contracted with B: small enough to check by hand. */
    static final String MATVEC = """
            # a matrix-vector product
            cascade mv {
              input  A[p, k], B[k]
              output Y[p]
              param  alpha = 1
              Y[p] = alpha * A[p, k] * B[k]
            }
            """;

    @TempDir
    Path dir;

    record Result(int status, String out, String err) {}

    static Result einc(CommandLine.IFactory unused, Object extra, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        if (extra != null) cli.addSubcommand(extra);
        int status = Main.execute(cli, args);
        return new Result(status, out.toString(), err.toString());
    }

    static Result einc(String... args) {
        return einc(null, null, args);
    }

    Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void checkOfAValidFileExitsZeroWithOneOkLine() throws IOException {
        Path f = file("mv.ein", MATVEC);
        Result r = einc("check", f.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(f + ": ok (cascade mv)\n", r.out().replace(System.lineSeparator(), "\n"));
        assertEquals("", r.err());
    }

    @Test
    void checkPrintsEveryDiagnosticAndExitsOne() throws IOException {
        Path good = file("good.ein", MATVEC);
        Path bad = file("bad.ein", MATVEC.replace("alpha * A[p, k]", "alpha * bogus[p, k]"));
        Result r = einc("check", bad.toString(), good.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().startsWith(bad + ":6:"), r.err());
        assertTrue(r.err().contains("error: unknown tensor 'bogus'"), r.err());
        assertTrue(r.err().contains("^"), "shows a caret under the culprit: " + r.err());
        assertTrue(r.out().contains(good + ": ok"), "the other files are still checked: " + r.out());
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void checkOfAMissingFileIsOneLine() {
        Path missing = dir.resolve("nope.ein");
        Result r = einc("check", missing.toString());
        assertEquals(1, r.status());
        assertEquals("einc: error: cannot read '" + missing + "': no such file [io]\n", r.err());
    }

    @Test
    void runWritesOutputsAsFloat32Npy() throws IOException {
        Path f = file("mv.ein", MATVEC);
        Path out = dir.resolve("out");
        Result r = einc("run", f.toString(), "--shape", "p=3,k=4", "--outputs", out.toString());
        assertEquals(0, r.status(), r.err());
        Tensor y = Npy.read(out.resolve("Y.npy"));
        assertEquals(ElementType.F32, y.type());
        assertArrayEquals(new long[] {3}, y.shape());
        assertTrue(r.out().contains("cascade  mv (" + f + ")"), r.out());
        assertTrue(r.out().contains("extents  p=3 k=4"), r.out());
        assertTrue(r.out().contains("backend  jvm"), r.out());
        assertTrue(r.out().contains("output   Y [3]  sum "), r.out());
        double sum = 0;
        for (double v : y.toDoubleArray()) sum += v;
        assertTrue(r.out().contains("sum " + Summary.number(sum)) || Math.abs(sum) < 1e-3, "the checksum is the written data's: " + r.out());
    }

    /** Each output is written in its declared type; bf16, which .npy cannot hold, as float32 holding bf16-rounded values. */
    @Test
    void runWritesEachOutputInItsDeclaredType() throws IOException {
        Path f = file("ty.ein", """
                cascade ty {
                  input  X[i]: f64
                  output A[i]: f64, B[i]: f16, C[i]: bf16, D[i]
                  A[i] = X[i] / 3
                  B[i] = X[i] / 3
                  C[i] = X[i] / 3
                  D[i] = X[i] / 3
                }
                """);
        Path in = Files.createDirectory(dir.resolve("in"));
        Npy.write(in.resolve("X.npy"), Tensor.of(new double[] {1, 2, -7}, 3));
        for (String backend : new String[] {"reference", "jvm"}) {
            Path out = dir.resolve("out-" + backend);
            Result r = einc("run", f.toString(), "--backend", backend, "--inputs", in.toString(), "--outputs", out.toString());
            assertEquals(0, r.status(), r.err());
            Tensor a = Npy.read(out.resolve("A.npy")), b = Npy.read(out.resolve("B.npy")), c = Npy.read(out.resolve("C.npy")), d = Npy.read(out.resolve("D.npy"));
            assertEquals(ElementType.F64, a.type());
            assertEquals(ElementType.F16, b.type());
            assertEquals(ElementType.F32, c.type(), "bf16 has no .npy dtype");
            assertEquals(ElementType.F32, d.type(), "f32 is the default");
            double[] third = {1 / 3.0, 2 / 3.0, -7 / 3.0};
            assertArrayEquals(third, a.toDoubleArray(), backend.equals("reference") ? 0 : 1e-6);
            for (int i = 0; i < 3; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16((float) third[i])), b.getFlat(i), 0, "B is f16-rounded");
                Tensor one = Tensor.zeros(ElementType.BF16, 1);
                one.setFlat(0, third[i]);
                assertEquals(one.getFlat(0), c.getFlat(i), 0, "C holds bf16 values");
            }
        }
    }

    /** An extent of 0 runs (docs/SEMANTICS.md): every CPU backend gives the interpreter's answer on the cascade as written. */
    @Test
    void zeroExtentsRunOnEveryCpuBackendAsTheInterpreterSays() throws IOException {
        Path f = Path.of("..", "examples", "attention", "softmax.ein");
        for (String shape : new String[] {"b=1,h=2,p=3,m=0,e=4,f=2", "b=1,h=2,p=0,m=5,e=4,f=2", "b=1,h=2,p=3,m=5,e=0,f=2", "b=0,h=2,p=3,m=5,e=4,f=2"}) {
            double[] want = null;
            for (String backend : new String[] {"reference", "jvm", "llvm"}) {
                Path out = dir.resolve(backend + shape.replace(',', '-'));
                Result r = einc("run", f.toString(), "--shape", shape, "--backend", backend, "--outputs", out.toString());
                assertEquals(0, r.status(), shape + " " + backend + ": " + r.err());
                double[] got = Npy.read(out.resolve("AV.npy")).toDoubleArray();
                if (want == null) want = got;
                else assertArrayEquals(want, got, 1e-6, shape + " " + backend);
            }
            for (double v : want) assertEquals(0.0, v, "no keys, no queries or an empty head: AV is absent, read as 0 (" + shape + ")");
        }
        // what the lowering cannot express exactly is an error with a caret, never a wrong answer
        Path sel = file("zs.ein", """
                cascade zs {
                  input X[m, p], Y[p]
                  output O[p]
                  G[p] = X[m, p] :: max(m)
                  O[p] = select(Y[p] > 0, G[p], Y[p])
                }
                """);
        Result unsupported = einc("run", sel.toString(), "--shape", "m=0,p=3", "--backend", "jvm");
        assertEquals(1, unsupported.status(), unsupported.err());
        assertTrue(unsupported.err().startsWith(sel + ":5:3: error: with an extent of 0") && unsupported.err().contains("^~~"), unsupported.err());
        assertEquals(0, einc("run", sel.toString(), "--shape", "m=0,p=3", "--backend", "reference").status());
        Result negative = einc("run", f.toString(), "--shape", "b=1,h=2,p=3,m=-1,e=4,f=2");
        assertEquals(1, negative.status());
        assertTrue(negative.err().contains("cannot be negative"), negative.err());
    }

    @Test
    void runComputesFromInputFiles() throws IOException {
        Path f = file("mv.ein", MATVEC);
        Path in = Files.createDirectory(dir.resolve("in"));
        double[] a = {1, 2, 3, 4, 5, 6}, b = {0.5, -1, 2};
        Npy.write(in.resolve("A.npy"), Tensor.of(a, 2, 3));
        Npy.write(in.resolve("B.npy"), Tensor.of(b, 3).to(ElementType.F32));
        Path out = dir.resolve("out");
        Result r = einc("run", f.toString(), "--inputs", in.toString(), "--outputs", out.toString(), "--param", "alpha=2");
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(new double[] {2 * (0.5 - 2 + 6), 2 * (2 - 5 + 12)}, Npy.read(out.resolve("Y.npy")).toDoubleArray(), 1e-6);
        assertTrue(r.out().contains("input    A [2, 3]  sum 21  max|x| 6  from " + in.resolve("A.npy")), r.out());
        assertTrue(r.out().contains("params   alpha=2"), r.out());
        assertEquals("", r.err());

        Files.move(in.resolve("B.npy"), in.resolve("b.npy"));
        Result typo = einc("run", f.toString(), "--inputs", in.toString());
        assertEquals(0, typo.status(), typo.err());
        assertTrue(typo.err().startsWith("einc: warning: " + in.resolve("b.npy") + " is not read: cascade 'mv' has no input 'b' (its inputs are A, B)"), typo.err());
        assertTrue(typo.out().contains("input    B [3]") && typo.out().contains("random normal"), typo.out());
    }

    /** The main example end to end: inputs from .npy with batch ranks first, AV compared with softmax attention computed here. */
    @Test
    void softmaxExampleAgreesWithAttentionComputedByHand() throws IOException {
        Path example = Path.of("..", "examples", "attention", "softmax.ein");
        int h = 2, p = 3, m = 5, e = 4, f = 2;
        java.util.Random rnd = new java.util.Random(7);
        double[] q = new double[h * p * e], k = new double[h * m * e], v = new double[h * m * f];
        for (double[] a : new double[][] {q, k, v}) for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian();
        Path in = Files.createDirectory(dir.resolve("in"));
        Npy.write(in.resolve("Q.npy"), Tensor.of(q, 1, h, p, e));
        Npy.write(in.resolve("K.npy"), Tensor.of(k, 1, h, m, e));
        Npy.write(in.resolve("V.npy"), Tensor.of(v, 1, h, m, f));
        Path out = dir.resolve("out");
        Result r = einc("run", example.toString(), "--inputs", in.toString(), "--outputs", out.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("extents  b=1 h=2 p=3 e=4 m=5 f=2"), r.out());
        Tensor av = Npy.read(out.resolve("AV.npy"));
        assertArrayEquals(new long[] {1, h, p, f}, av.shape());
        for (int hh = 0; hh < h; hh++) {
            for (int pp = 0; pp < p; pp++) {
                double[] s = new double[m];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int mm = 0; mm < m; mm++) {
                    for (int ee = 0; ee < e; ee++) s[mm] += q[(hh * p + pp) * e + ee] * k[(hh * m + mm) * e + ee] / Math.sqrt(e);
                    max = Math.max(max, s[mm]);
                }
                for (int mm = 0; mm < m; mm++) sum += s[mm] = Math.exp(s[mm] - max);
                for (int ff = 0; ff < f; ff++) {
                    double want = 0;
                    for (int mm = 0; mm < m; mm++) want += s[mm] / sum * v[(hh * m + mm) * f + ff];
                    assertEquals(want, av.get(0, hh, pp, ff), 1e-6, "AV[0, " + hh + ", " + pp + ", " + ff + "]");
                }
            }
        }
    }

    @Test
    void randomInputsFollowTheSeedInputByInput() throws IOException {
        Path f = file("mv.ein", MATVEC);
        String y0 = outputOf(f, "0", null);
        assertEquals(y0, outputOf(f, "0", null), "same seed, same inputs");
        assertNotEquals(y0, outputOf(f, "1", null), "another seed, other inputs");
        // B from a file leaves A's random values as they were: Y = A * ones sums A's rows.
        Path in = Files.createDirectory(dir.resolve("ones"));
        Npy.write(in.resolve("B.npy"), Tensor.of(new double[] {1, 1, 1, 1}, 4));
        Result r = einc("run", f.toString(), "--shape", "p=3,k=4", "--inputs", in.toString());
        String randomA = einc("run", f.toString(), "--shape", "p=3,k=4").out().lines().filter(l -> l.startsWith("input    A")).findFirst().orElseThrow();
        assertTrue(r.out().contains(randomA), r.out());
    }

    private String outputOf(Path f, String seed, Path inputs) throws IOException {
        Path out = dir.resolve("out" + seed);
        Result r = einc("run", f.toString(), "--shape", "p=3,k=4", "--seed", seed, "--outputs", out.toString());
        assertEquals(0, r.status(), r.err());
        return java.util.Arrays.toString(Npy.read(out.resolve("Y.npy")).toDoubleArray());
    }

    @Test
    void aShapeConflictNamesTheTensorsTheRankAndBothExtents() throws IOException {
        Path f = file("mv.ein", MATVEC);
        Path in = Files.createDirectory(dir.resolve("in"));
        Npy.write(in.resolve("A.npy"), Tensor.zeros(ElementType.F32, 2, 3));
        Npy.write(in.resolve("B.npy"), Tensor.zeros(ElementType.F32, 5));
        Result r = einc("run", f.toString(), "--inputs", in.toString());
        assertEquals(1, r.status());
        String err = r.err();
        assertTrue(err.contains("'k'") && err.contains("3") && err.contains("5") && err.contains("A") && err.contains("B"), err);
        assertFalse(err.contains("\tat "), err);

        Result explicit = einc("run", f.toString(), "--inputs", in.toString(), "--shape", "p=7");
        assertEquals(1, explicit.status());
        assertTrue(explicit.err().contains("'p'") && explicit.err().contains("7") && explicit.err().contains("2"), explicit.err());
    }

    @Test
    void parametersMustBeKnownAndGiven() throws IOException {
        Path f = file("mv.ein", MATVEC);
        Result unknown = einc("run", f.toString(), "--shape", "p=2,k=2", "--param", "beta=3");
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains("'beta'") && unknown.err().contains("alpha"), "names the valid ones: " + unknown.err());

        Path noDefault = file("nodefault.ein", MATVEC.replace("param  alpha = 1", "param  alpha"));
        Result missing = einc("run", noDefault.toString(), "--shape", "p=2,k=2");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("parameter 'alpha' has no default") && missing.err().contains("--param alpha="), missing.err());

        Result given = einc("run", noDefault.toString(), "--shape", "p=2,k=2", "--param", "alpha=-inf");
        assertEquals(0, given.status(), given.err());
    }

    @Test
    void malformedOptionsAreOneLineErrorsSayingWhatIsValid() throws IOException {
        Path f = file("mv.ein", MATVEC);
        Result shape = einc("run", f.toString(), "--shape", "p:3");
        assertEquals(1, shape.status());
        assertEquals("einc: error: malformed --shape 'p:3': expected INDEX=N[,INDEX=N...], e.g. --shape p=1024,m=1024 [bad-argument]\n", shape.err());
        Result notANumber = einc("run", f.toString(), "--shape", "p=3,k=x");
        assertTrue(notANumber.err().contains("'x' is not an integer"), notANumber.err());
        Result unknownIndex = einc("run", f.toString(), "--shape", "p=3,k=2,z=4");
        assertEquals(1, unknownIndex.status());
        assertTrue(unknownIndex.err().contains("'z'") && unknownIndex.err().contains("p, k"), unknownIndex.err());
        Result backend = einc("run", f.toString(), "--backend", "gpu");
        assertEquals(1, backend.status());
        assertEquals("einc: error: unknown backend 'gpu'; the backends are reference, jvm, llvm, cuda [bad-argument]\n", backend.err());
        Result param = einc("run", f.toString(), "--param", "alpha=fast");
        assertEquals(1, param.status());
        assertTrue(param.err().contains("'fast' is not a number"), param.err());
        Result option = einc("run", f.toString(), "--speed", "3");
        assertEquals(1, option.status());
        assertTrue(option.err().startsWith("einc: error: Unknown option") && option.err().contains("einc run --help"), option.err());
    }

    @Test
    void aFileWithSeveralCascadesNeedsOneChosen() throws IOException {
        Path f = file("two.ein", MATVEC + MATVEC.replace("cascade mv", "cascade mv2"));
        Result none = einc("run", f.toString(), "--shape", "p=2,k=2");
        assertEquals(1, none.status());
        assertTrue(none.err().contains("holds 2 cascades; choose one with --cascade NAME") && none.err().contains("mv, mv2"), none.err());
        Result unknown = einc("run", f.toString(), "--cascade", "mv3", "--shape", "p=2,k=2");
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains("no cascade 'mv3'") && unknown.err().contains("mv, mv2"), unknown.err());
        Result chosen = einc("run", f.toString(), "--cascade", "mv2", "--shape", "p=2,k=2");
        assertEquals(0, chosen.status(), chosen.err());
        assertTrue(chosen.out().startsWith("cascade  mv2 "), chosen.out());
    }

    /** A subcommand that fails the way a bug would. */
    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("the frobnicator is empty");
        }
    }

    @Test
    void internalErrorsExitTwoWithOneLineAndTheTraceOnlyWithDebug() {
        Result r = einc(null, new Boom(), "boom");
        assertEquals(2, r.status());
        assertEquals("einc: internal error: the frobnicator is empty (run with --debug for the stack trace)\n", r.err());
        Result debug = einc(null, new Boom(), "--debug", "boom");
        assertEquals(2, debug.status());
        assertTrue(debug.err().contains("java.lang.IllegalStateException: the frobnicator is empty") && debug.err().contains("at einc.cli.CliTest$Boom.call"), debug.err());
        Result debugAfter = einc(null, new Boom(), "boom", "--debug");
        assertTrue(debugAfter.err().contains("at einc.cli.CliTest$Boom.call"), debugAfter.err());
        Result error = einc(null, new Overflow(), "overflow");
        assertEquals(2, error.status());
        assertEquals("einc: internal error: java.lang.StackOverflowError (run with --debug for the stack trace)\n", error.err());
    }

    /** A subcommand that fails with an {@link Error}, which picocli does not catch. */
    @Command(name = "overflow")
    static final class Overflow implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new StackOverflowError();
        }
    }

    @Test
    void helpVersionAndNoCommand() {
        Result help = einc("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("check") && help.out().contains("run"), help.out());
        Result runHelp = einc("run", "--help");
        assertTrue(runHelp.out().contains("--shape") && runHelp.out().contains("--seed"), runHelp.out());
        Result version = einc("--version");
        assertEquals(0, version.status());
        assertTrue(version.out().matches("einc \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java .*\\)\\R"), version.out());
        Result none = einc();
        assertEquals(1, none.status());
        assertTrue(none.err().contains("Usage: einc"), none.err());
    }
}
