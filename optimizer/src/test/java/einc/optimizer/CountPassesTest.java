package einc.optimizer;

import einc.ir.Cascade;
import einc.testing.FuseMax;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static einc.testing.Ir.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pass counts of FuseMax's cascades (built by hand here; the example files are checked in ExamplesTest). */
class CountPassesTest {

    @Test
    void cascade4IsThreePassesOverMCausedByGmAndSd() {
        CountPasses.Result r = CountPasses.run(FuseMax.cascade4());
        assertEquals(List.of("m", "e"), r.ranks());
        assertEquals(3, r.passes().get("m"));
        assertEquals(1, r.passes().get("e"));
        List<CountPasses.Boundary> b = r.boundaries("m");
        assertEquals(2, b.size());
        assertEquals(List.of("GM"), b.get(0).complete());
        assertEquals("GM is complete over m only after all of m; SN re-reads QK", b.get(0).cause());
        assertEquals(List.of("SD"), b.get(1).complete());
        assertEquals("SD is complete over m only after all of m; A re-reads SN", b.get(1).cause());
        assertEquals(List.of(Map.of("m", 1, "e", 1), Map.of("m", 1), Map.of("m", 2), Map.of("m", 2), Map.of("m", 3), Map.of("m", 3)),
                r.statementPasses());
    }

    @Test
    void cascade5IsOnePass() {
        CountPasses.Result r = CountPasses.run(FuseMax.cascade5());
        assertEquals(1, r.passes().get("m"));
        assertEquals(List.of(), r.boundaries("m"));
    }

    @Test
    void cascade1IsTwoPassesOverK() {
        Cascade c = cascade("c1").input("A", "k").input("B", "k").output("Z")
                .let(a("Y"), mul(a("A", "k"), a("B", "k")))
                .let(a("Z"), mul(a("Y"), a("A", "k")))
                .build();
        CountPasses.Result r = CountPasses.run(c);
        assertEquals(Map.of("k", 2), r.passes());
        assertEquals("Y is complete over k only after all of k; Z re-reads A", r.boundaries("k").getFirst().cause());
    }

    @Test
    void cascade2IsOnePass() {
        Cascade c = cascade("c2").input("A", "k").input("B", "k").output("Z")
                .let(a("Y"), mul(a("A", "k"), a("B", "k")))
                .let(a("X"), a("A", "k"))
                .let(a("Z"), mul(a("Y"), a("X")))
                .build();
        assertEquals(Map.of("k", 1), CountPasses.run(c).passes());
    }

    @Test
    void readingTheFinalEntryOfARecurrenceInsideAnotherLoopIsANewPass() {
        Cascade c = cascade("final").input("A", "m").output("Z", "m")
                .split("m", "m1", "m0", 4)
                .init(a("S", "m1"), k(0))
                .let(a("T", "m1"), a("A", "m1*M0+m0"))
                .let(a("S", "m1+1"), add(a("S", "m1"), a("T", "m1")))
                .let(a("Z", "m"), div(a("A", "m"), a("S", "M1")))
                .build();
        CountPasses.Result r = CountPasses.run(c);
        assertEquals(Map.of("m", 2), r.passes());
        assertEquals(List.of("S"), r.boundaries("m").getFirst().finals());
    }

    @Test
    void causalMaskDoesNotChangePasses() {
        Cascade c = FuseMax.cascade4(le(idx("m"), idx("p")));
        assertEquals(3, CountPasses.run(c).passes().get("m"));
    }
}
