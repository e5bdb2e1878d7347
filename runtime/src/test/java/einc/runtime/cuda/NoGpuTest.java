package einc.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** On a machine without an NVIDIA GPU, opening CUDA fails with one clean sentence, not a stack of native errors. */
class NoGpuTest {

    @Test
    void openingCudaWithoutAGpuSaysSoInOneSentence() {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "this machine has a GPU");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaCheck::require);
        String m = e.getMessage();
        assertTrue(m.contains("GPU") || m.contains("driver"), m);
        assertFalse(m.contains("\n"), m);
        assertTrue(m.indexOf(". ") < 0, "one sentence: " + m);
        assertTrue(e.getStackTrace().length == 0, "no stack trace to show");
    }
}
