package einc.cli;

import einc.runtime.Kernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code einc compile} and {@code einc bench} on the attention examples. */
class JvmCommandsTest {

    static final String SOFTMAX = "../examples/attention/softmax.ein";

    @Test
    void compileWritesAManifestAndClassesThatLoad(@TempDir Path tmp) throws Exception {
        CliTest.Result r = CliTest.einc("compile", SOFTMAX, "--target", "jvm", "-o", tmp.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("attention: fused + generic"), r.out());
        String manifest = Files.readString(tmp.resolve("attention.manifest"));
        assertTrue(manifest.contains("source.sha256 = ") && manifest.contains("input.0 = Q f32 b h p e"), manifest);
        assertEquals(List.of("attention"), Kernels.names(tmp));
        assertEquals("attention", Kernels.load(tmp).signature().cascade());
    }

    @Test
    void emitBytecodePrintsTheGeneratedClasses() {
        CliTest.Result r = CliTest.einc("compile", SOFTMAX, "--emit=bytecode");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("class einc/runtime/gen/K_attention_generic"), r.out().substring(0, 200));
        assertTrue(r.out().contains("INVOKEVIRTUAL jdk/incubator/vector/FloatVector.fma"), "the fused class is vectorized");
    }

    @Test
    void benchComparesTwoBackendsInATable() {
        CliTest.Result r = CliTest.einc("bench", SOFTMAX, "--shape", "b=1,h=2,p=32,m=32,e=16,f=16", "--vs", "reference", "--reps", "3", "--warmup", "1", "--warmup-time", "0");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("median ms") && r.out().contains("GFLOP/s"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("reference ")), r.out());
        assertTrue(r.err().contains("6/6"), "progress bar over the timed runs: " + r.err());
        assertTrue(r.err().contains("warming up jvm: 1 run") && !r.err().contains("warming up jvm: 2 runs"), r.err());
    }

    @Test
    void benchWarmsUpForAtLeastTheGivenTime() {
        CliTest.Result r = CliTest.einc("bench", SOFTMAX, "--shape", "b=1,h=1,p=8,m=8,e=4,f=4", "--reps", "1", "--warmup", "0", "--warmup-time", "0.5");
        assertEquals(0, r.status(), r.err());
        int runs = java.util.regex.Pattern.compile("warming up jvm: (\\d+) run").matcher(r.err()).results()
                .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElse(0);
        assertTrue(runs > 1, "a run of this tiny shape takes far less than 0.5 s, so several are made: " + r.err());
        CliTest.Result bad = CliTest.einc("bench", SOFTMAX, "--shape", "b=1,h=1,p=8,m=8,e=4,f=4", "--warmup-time", "-1");
        assertEquals(1, bad.status());
        assertTrue(bad.err().contains("--warmup and --warmup-time at least 0"), bad.err());
    }

    @Test
    void compileAndBenchNameTheCascadesOfAFileWhenTheChoiceIsWrong(@TempDir Path tmp) throws Exception {
        Path two = tmp.resolve("two.ein");
        java.nio.file.Files.writeString(two, """
                cascade first {
                  input X[i]
                  output Y[i]
                  Y[i] = 2 * X[i]
                }
                cascade second {
                  input X[i]
                  output Z[]
                  Z = X[i]
                }
                """);
        CliTest.Result unknown = CliTest.einc("compile", two.toString(), "--cascade", "third", "-o", tmp.resolve("k").toString());
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains("has no cascade 'third'") && unknown.err().contains("its cascades are first, second"), unknown.err());
        CliTest.Result ambiguous = CliTest.einc("bench", two.toString(), "--shape", "i=4", "--reps", "1", "--warmup", "0", "--warmup-time", "0");
        assertEquals(1, ambiguous.status());
        assertTrue(ambiguous.err().contains("holds 2 cascades; choose one with --cascade NAME"), ambiguous.err());
        CliTest.Result one = CliTest.einc("compile", two.toString(), "--cascade", "second", "-o", tmp.resolve("k").toString());
        assertEquals(0, one.status(), one.err());
        assertTrue(one.out().startsWith("second: ") && !one.out().contains("first"), one.out());
    }
}
