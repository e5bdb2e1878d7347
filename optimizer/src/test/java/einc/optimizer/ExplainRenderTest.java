package einc.optimizer;

import einc.testing.FuseMax;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The renderers: what a reader and a tool rely on. */
class ExplainRenderTest {

    @Test
    void textNamesThePassesAndTheirCauses() {
        String text = ExplainText.render(Explain.of(FuseMax.cascade4(), Map.of()));
        assertTrue(text.startsWith("cascade attention: 3 passes over m, 1 pass over e\n"), text);
        assertTrue(text.contains("2  SN SD  because GM is complete over m only after all of m; SN re-reads QK"), text);
        assertTrue(text.contains("3  A AV   because SD is complete over m only after all of m; A re-reads SN"), text);
        assertTrue(text.lines().count() <= 50, "one screen: " + text.lines().count() + " lines");
    }

    @Test
    void textGivesValuesForGivenExtents() {
        String text = ExplainText.render(Explain.of(FuseMax.cascade4(), Map.of("p", 2L, "m", 3L, "e", 4L, "f", 5L)));
        // 2·E·M·P + 2·F·M·P + 5·M·P = 48 + 60 + 30
        assertTrue(text.contains("total        2·E·M·P + 2·F·M·P + 5·M·P = 138"), text);
    }

    @Test
    void dotHasOneClusterPerGroupAndOneColourPerPass() {
        String dot = ExplainDot.render(Explain.of(FuseMax.cascade4(), Map.of()));
        assertEquals(3, dot.lines().filter(l -> l.contains("subgraph \"cluster_")).count());
        for (String colour : List.of("#cfe2ff", "#d1e7dd", "#fff3cd")) {
            assertEquals(2, dot.lines().filter(l -> l.contains("fillcolor=\"" + colour + "\"")).count(), colour);
        }
        assertTrue(dot.contains("\"GM\" -> \"SN\" [color="), dot);
        assertTrue(dot.contains("\"in K\" -> \"QK\";"), dot);
    }

    @Test
    void polynomialsPrintCanonically() {
        Poly p = Poly.product(List.of("p", "m")).times(2).plus(Poly.product(List.of("p")).times(3)).plus(Poly.constant(1));
        assertEquals("2·M·P + 3·P + 1", p.toString());
        assertEquals("2*M*P + 3*P + 1", p.render("*"));
        assertEquals("0", Poly.ZERO.toString());
    }
}
