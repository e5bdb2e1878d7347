package einc.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code explain --optimize} prints a 1-pass cascade that {@code run} computes to the same numbers as the original. */
class OptimizeCliTest {

    @TempDir
    Path dir;

    private static final Path CASCADE4 = Path.of("..", "examples", "fusemax", "cascade4.ein");

    @Test
    void explainOptimizePrintsAOnePassCascadeThatRunsToTheSameNumbers() throws IOException {
        CliTest.Result explained = CliTest.einc("explain", "--optimize", "--tile", "8", CASCADE4.toString());
        assertEquals(0, explained.status(), explained.err());
        assertTrue(explained.out().contains("passes: e 1 -> 1, m 3 -> 1"), explained.out());
        assertTrue(explained.out().contains("online-softmax: split m = (m1, m0) by 8"), explained.out());
        String text = explained.out().substring(explained.out().indexOf("  cascade:\n") + "  cascade:\n".length());
        Path optimized = dir.resolve("optimized.ein");
        Files.writeString(optimized, text);
        String shape = "b=1,h=2,p=13,m=21,e=4,f=3";
        CliTest.Result a = CliTest.einc("run", "--backend", "reference", "--no-optimize", "--shape", shape, "--outputs", dir.resolve("a").toString(), CASCADE4.toString());
        CliTest.Result b = CliTest.einc("run", "--backend", "reference", "--no-optimize", "--shape", shape, "--outputs", dir.resolve("b").toString(), optimized.toString());
        CliTest.Result c = CliTest.einc("run", "--backend", "reference", "--shape", shape, "--outputs", dir.resolve("c").toString(), CASCADE4.toString());
        assertEquals(0, a.status(), a.err());
        assertEquals(0, b.status(), b.err());
        assertEquals(0, c.status(), c.err());
        byte[] want = Files.readAllBytes(dir.resolve("a/AV.npy"));
        assertArrayEquals(want, Files.readAllBytes(dir.resolve("b/AV.npy")), "the printed cascade computes the same f32 outputs");
        assertArrayEquals(want, Files.readAllBytes(dir.resolve("c/AV.npy")), "run optimizes by default and keeps the numbers");
    }

    @Test
    void explainOptimizeJsonAddsTheOptimizedSection() {
        CliTest.Result r = CliTest.einc("explain", "--optimize", "--json", CASCADE4.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("\"optimized\""), r.out());
        assertTrue(r.out().contains("\"rewrites\""), r.out());
        assertTrue(r.out().contains("\"before\": 3"), r.out());
    }

    @Test
    void anUnknownPassForPrintIrAfterIsAnError() {
        CliTest.Result r = CliTest.einc("explain", "--optimize", "--print-ir-after", "nope", CASCADE4.toString());
        assertNotEquals(0, r.status());
        assertTrue(r.err().contains("--print-ir-after names no pass 'nope'"), r.err());
    }
}
