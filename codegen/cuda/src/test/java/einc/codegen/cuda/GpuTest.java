package einc.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import einc.runtime.cuda.CudaCheck;
import einc.runtime.cuda.CudaUnavailableException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** On a machine with a GPU: every example, fused and generic, within tolerance of the interpreter. Skips cleanly without one. */
@Tag("gpu")
class GpuTest {

    @Test
    void everyExampleMatchesTheInterpreterOnTheGpu() throws Exception {
        try {
            CudaCheck.require();
        } catch (CudaUnavailableException e) {
            Assumptions.abort("no GPU: " + e.getMessage());
        }
        var all = new java.util.LinkedHashMap<>(Examples.all());
        all.putAll(EinExamples.under(List.of(Path.of("../../examples"))));
        assertEquals(0, GpuCheck.check(all, null, new Random(), GpuCheck.SHAPES.subList(0, 1), List.of()));
    }
}
