package einc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code einc run --backend llvm} agrees with the reference; {@code compile --target llvm} writes the library; {@code --emit=llvm} prints IR. */
class LlvmCommandsTest {

    @TempDir
    Path dir;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int status = Main.execute(Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)), args);
        return new String[] {Integer.toString(status), out.toString(), err.toString()};
    }

    private static Path example() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(p.resolve("examples/attention"))) p = p.getParent();
        return p.resolve("examples/attention/causal.ein");
    }

    private static String outputLine(String summary) {
        return summary.lines().filter(l -> l.startsWith("output")).findFirst().orElseThrow();
    }

    @Test
    void runOnLlvmPrintsTheSameOutputSummaryAsTheReference() {
        String shape = "b=1,h=2,p=37,m=37,e=8,f=8";
        String[] ref = run("run", example().toString(), "--shape", shape, "--backend", "reference");
        String[] llvm = run("run", example().toString(), "--shape", shape, "--backend", "llvm");
        assertEquals("0", llvm[0], llvm[2]);
        assertEquals(outputLine(ref[1]), outputLine(llvm[1]));
    }

    @Test
    void compileWritesTheSharedLibraryAndEmitPrintsIr() throws Exception {
        String[] r = run("compile", example().toString(), "--target", "llvm", "-o", dir.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.isRegularFile(dir.resolve("libeinc_causal_attention.so")));
        assertTrue(Files.readString(dir.resolve("kernel.manifest")).contains("symbol=einc_causal_attention"));
        String[] ir = run("compile", example().toString(), "--emit=llvm");
        assertEquals("0", ir[0], ir[2]);
        assertTrue(ir[1].contains("define void @einc_causal_attention("), ir[1]);
    }

    @Test
    void benchComparesTheNativeKernelWithTheJvmOne() {
        CliTest.Result r = CliTest.einc("bench", "../examples/attention/causal.ein", "--shape", "b=1,h=2,p=40,m=40,e=16,f=8",
                "--backend", "llvm", "--vs", "jvm", "--reps", "2", "--warmup", "1", "--warmup-time", "0");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("llvm ") && l.contains("native, 2 threads")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("jvm ")), r.out());
    }
}
