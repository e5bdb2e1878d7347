package einc.codegen.jvm;

import einc.runtime.ElementType;
import einc.runtime.KernelException;
import einc.runtime.LoadedKernel;
import einc.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A wrong shape is an exception that names the tensors, the ranks (counted from 1, as the compiler's diagnostics do) and both extents. */
class ShapeCheckTest {

    private final LoadedKernel kernel = JvmBackend.compile(Cascades.causal()).load();

    @Test
    void twoInputsThatDisagreeOnAnExtentAreBothNamed() {
        KernelException e = assertThrows(KernelException.class, () -> kernel.run(Map.of(
                "Q", Tensor.zeros(ElementType.F32, 1, 2, 4, 8),
                "K", Tensor.zeros(ElementType.F32, 1, 2, 5, 6),
                "V", Tensor.zeros(ElementType.F32, 1, 2, 5, 8)), Map.of()));
        String m = e.getMessage();  // which input comes first follows the map the caller gave
        assertTrue(m.startsWith("index 'e' has extent "), m);
        assertTrue(m.matches(".*(extent|but) 6 in input 'K' at rank 4 \\('e'\\).*"), m);
        assertTrue(m.matches(".*(extent|but) 8 in input 'Q' at rank 4 \\('e'\\).*"), m);
    }

    @Test
    void anOutputOfTheWrongShapeIsNamedWithItsRank() {
        KernelException e = assertThrows(KernelException.class, () -> kernel.run(
                Map.of("Q", Tensor.zeros(ElementType.F32, 1, 2, 4, 8),
                        "K", Tensor.zeros(ElementType.F32, 1, 2, 5, 8),
                        "V", Tensor.zeros(ElementType.F32, 1, 2, 5, 8)),
                Map.of("AV", Tensor.zeros(ElementType.F32, 1, 2, 3, 8)), Map.of()));
        assertEquals("index 'p' has extent 3 in output 'AV' at rank 3 ('p') but 4 in input 'Q' at rank 3 ('p')", e.getMessage());
    }
}
