package einc.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.EincException;
import einc.ir.Extents;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A division or modulo by an extent expression that is 0 for the bound extents is an error, not a silent 0. */
class DivisorCheckTest {

    @Test
    void groupedQueryAttentionWithMoreKeyHeadsThanQueryHeadsIsAnError() throws Exception {
        Cascade gqa = CascadeBuilderTest.example("gqa.ein");
        Map<String, int[]> shapes = Map.of("Q", new int[] {1, 4, 8, 16}, "K", new int[] {1, 8, 8, 16}, "V", new int[] {1, 8, 8, 16});
        EincException e = assertThrows(EincException.class, () -> Extents.bind(gqa, shapes, Map.of()));
        assertEquals(Code.DIVISION_BY_ZERO, e.diagnostics().getFirst().code());
        String message = e.diagnostics().getFirst().message();
        assertTrue(message.contains("h / (H / G)") && message.contains("H / G is 0") && message.contains("H = 4, G = 8"), message);
        assertEquals(1, e.diagnostics().size(), "the same expression is reported once");
    }

    @Test
    void aDivisorThatIsNotZeroBinds() throws Exception {
        Cascade gqa = CascadeBuilderTest.example("gqa.ein");
        Map<String, int[]> shapes = Map.of("Q", new int[] {1, 8, 8, 16}, "K", new int[] {1, 2, 8, 16}, "V", new int[] {1, 2, 8, 16});
        assertEquals(8L, Extents.bind(gqa, shapes, Map.of()).of("h"));
    }

    @Test
    void moduloByZeroIsAnErrorToo() {
        Cascade c = CascadeBuilderTest.one("""
                cascade roll {
                  input X[k], Y[n]
                  output Z[k]
                  Z[k] = X[(k + 1) % (N - 1)]
                }
                """);
        EincException e = assertThrows(EincException.class,
                () -> Extents.bind(c, Map.of("X", new int[] {3}, "Y", new int[] {1}), Map.of()));
        assertEquals(Code.DIVISION_BY_ZERO, e.diagnostics().getFirst().code());
        assertTrue(e.diagnostics().getFirst().message().contains("N - 1 is 0 with N = 1"), e.diagnostics().getFirst().message());
    }
}
