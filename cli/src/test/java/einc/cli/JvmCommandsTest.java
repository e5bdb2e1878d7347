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
        CliTest.Result r = CliTest.einc("bench", SOFTMAX, "--shape", "b=1,h=2,p=32,m=32,e=16,f=16", "--vs", "reference", "--reps", "3", "--warmup", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("median ms") && r.out().contains("GFLOP/s"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("reference ")), r.out());
        assertTrue(r.err().contains("8/8"), "progress bar: " + r.err());
    }
}
