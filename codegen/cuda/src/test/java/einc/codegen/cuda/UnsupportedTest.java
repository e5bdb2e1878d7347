package einc.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.frontend.Frontend;
import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;
import einc.ir.Source;
import org.junit.jupiter.api.Test;

/** What the CUDA backend cannot compile yet is a user-facing error, never an internal one. */
class UnsupportedTest {

    @Test
    void aSplitTileOfExtentsIsAClearError() {
        Cascade c = Frontend.compile(new Source("tile.ein", """
                cascade tile {
                  input X[m, e]
                  output Y[e]
                  split m = (m1, m0) by E - 1
                  Y[e] = X[m1 * M0 + m0, e]
                }
                """)).getFirst();
        for (boolean fuse : new boolean[] {false, true}) {
            EincException e = assertThrows(EincException.class, () -> CudaCodegen.generate(c, fuse));
            assertEquals(Code.UNSUPPORTED, e.diagnostics().getFirst().code());
            assertTrue(e.render().contains("tile.ein:4:"), e.render());
        }
    }
}
