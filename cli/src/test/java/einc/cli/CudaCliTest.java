package einc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code einc compile --target cuda}, {@code --emit=cu} and {@code run --backend cuda} on a machine without a GPU. */
class CudaCliTest {

    static final Path SOFTMAX = Path.of("../examples/attention/softmax.ein");

    @TempDir
    Path dir;

    @Test
    void emitCuPrintsTheFusedKernel() {
        CliTest.Result r = CliTest.einc("compile", SOFTMAX.toString(), "--emit=cu");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("fused attention (softmax, f32 as 3xtf32 mma.sync)"), r.out());
        assertTrue(r.out().contains("einc_attention_flash_d128"), r.out());
    }

    @Test
    void compileWritesSourcePlanAndCubin() {
        CliTest.Result r = CliTest.einc("compile", SOFTMAX.toString(), "--target", "cuda", "--no-fuse", "-o", dir.toString());
        assertEquals(0, r.status(), r.err());
        Path k = dir; // one cascade: the folder itself
        assertTrue(Files.isRegularFile(k.resolve("kernel.cu")));
        assertTrue(Files.isRegularFile(k.resolve("plan.txt")));
        if (Files.isExecutable(Path.of("/usr/local/bin/nvcc"))) assertTrue(Files.isRegularFile(k.resolve("kernel.cubin")), r.out());
        assertTrue(r.out().contains("one kernel per statement"), r.out());
    }

    /** The optimized plan (online softmax tiled over the keys) of every attention example compiles to the fused kernel. */
    @Test
    void theOptimizedPlansOfAttentionExamplesAreFused() {
        for (String f : java.util.List.of("softmax", "causal", "sliding_window", "sinks_window", "alibi", "softcap", "gqa", "mqa",
                "sigmoid", "relu", "softplus_l1", "softmax_1pass")) {
            CliTest.Result r = CliTest.einc("compile", "../examples/attention/" + f + ".ein", "--emit=cu");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("fused attention ("), f + " is not fused:\n" + r.out().lines().limit(5).toList());
        }
    }

    @Test
    void unknownTargetSaysWhatIsValid() {
        CliTest.Result r = CliTest.einc("compile", SOFTMAX.toString(), "--target", "metal", "-o", dir.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("the targets are jvm, llvm and cuda"), r.err());
    }

    @Test
    void runOnCudaWithoutAGpuIsOneCleanSentence() {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "this machine has a GPU");
        CliTest.Result r = CliTest.einc("run", SOFTMAX.toString(), "--backend", "cuda", "--shape", "b=1,h=1,p=8,m=8,e=4,f=4");
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("GPU") || r.err().contains("driver"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
