package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.ReduceOp;
import einc.testing.FuseMax;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static einc.testing.Ir.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fusion groups, footprint and traffic of FuseMax's Cascades 4 and 5, against hand counts. */
class AnalysesTest {

    static Poly poly(String... monomial) {
        return Poly.product(List.of(monomial));
    }

    @Test
    void cascade4FusesIntoOneGroupPerPass() {
        Explain x = Explain.of(FuseMax.cascade4(), Map.of());
        assertEquals(List.of(List.of("QK", "GM"), List.of("SN", "SD"), List.of("A", "AV")),
                x.groups().groups().stream().map(FusionGroups.Group::names).toList());
        assertNull(x.groups().groups().get(0).cause());
        assertTrue(x.groups().groups().get(1).cause().startsWith("pass 2 over m: GM is complete"));
    }

    @Test
    void cascade5IsOneLoopNestWithItsDivisionAsEpilogue() {
        Explain x = Explain.of(FuseMax.cascade5(), Map.of());
        assertEquals(1, x.groups().groups().size());
    }

    @Test
    void cascade4FootprintMatchesHandCount() {
        Explain x = Explain.of(FuseMax.cascade4(), Map.of());
        Map<String, Poly> live = new java.util.LinkedHashMap<>();
        for (Footprint.Entry e : x.footprint().entries()) live.put(e.tensor(), e.live());
        // QK and SN cross a pass boundary: whole (P·M); GM, SD: P; A is consumed as it is made: one entry per p.
        assertEquals(Map.of("QK", poly("m", "p"), "GM", poly("p"), "SN", poly("m", "p"), "SD", poly("p"), "A", poly("p")), live);
        // Group 1 holds QK, GM (read by it), SN and SD (read later): 4 bytes · (2·P·M + 2·P).
        assertEquals(1, x.peakGroup());
        assertEquals(poly("m", "p").times(8).plus(poly("p").times(8)), x.footprint().liveBytesPerGroup().get(1));
    }

    @Test
    void cascade5FootprintIsIndependentOfM() {
        Explain x = Explain.of(FuseMax.cascade5(), Map.of());
        Poly peak = x.footprint().liveBytesPerGroup().get(x.peakGroup());
        // RM RD LM SLD PRM: P each; RNV SLNV: P·F each; BQK SLN: M0·P each; 4 bytes each.
        assertEquals(poly("p").times(20).plus(poly("f", "p").times(8)).plus(poly("m0", "p").times(8)), peak);
        assertTrue(peak.terms().keySet().stream().noneMatch(m -> m.contains("m") || m.contains("m1")));
    }

    @Test
    void cascade4TrafficGoesThroughMemoryBetweenPasses() {
        Explain x = Explain.of(FuseMax.cascade4(), Map.of("p", 8L, "m", 16L, "e", 4L, "f", 2L));
        // reads: Q, K (group 0); QK, GM (1); SN, SD, V (2). writes: QK, GM (0); SN, SD (1); AV (2).
        long reads = 4 * (8 * 4 + 16 * 4 + 16 * 8 + 8 + 16 * 8 + 8 + 16 * 2);
        long writes = 4 * (16 * 8 + 8 + 16 * 8 + 8 + 8 * 2);
        assertEquals(reads, x.value(x.traffic().bytes(Traffic.Direction.READ)));
        assertEquals(writes, x.value(x.traffic().bytes(Traffic.Direction.WRITE)));
    }

    @Test
    void cascade5TrafficIsInputsAndOutputOnly() {
        Explain x = Explain.of(FuseMax.cascade5(), Map.of("p", 8L, "m", 100L, "e", 4L, "f", 2L));
        assertEquals(4L * (8 * 4 + 100 * 4 + 100 * 2), x.value(x.traffic().bytes(Traffic.Direction.READ)));
        assertEquals(4L * 8 * 2, x.value(x.traffic().bytes(Traffic.Direction.WRITE)));
    }

    @Test
    void aValueCompleteOverMReadOverAnotherRankStartsANewNest() {
        // linear attention: KV[e, f] sums over m; O[p, f] needs all of KV and iterates p, which KV's nest lacks.
        Cascade c = cascade("linear").input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("O", "p", "f")
                .let(a("KV", "e", "f"), mul(a("K", "m", "e"), a("V", "m", "f")))
                .let(a("O", "p", "f"), mul(a("Q", "p", "e"), a("KV", "e", "f")))
                .build();
        Explain x = Explain.of(c, Map.of());
        assertEquals(Map.of("m", 1, "e", 1), x.passes().passes());
        assertEquals(2, x.groups().groups().size());
        assertEquals("O iterates p, which the loop nest of KV does not; KV is complete over m only after all of m",
                x.groups().groups().get(1).cause());
    }

    @Test
    void jsonReportsRanksAfterSplitUnderTheOriginalRank() {
        String json = ExplainJson.render(Explain.of(FuseMax.cascade5(), Map.of()));
        assertTrue(json.contains("\"passes\": {\n    \"m\": 1,\n    \"e\": 1\n  }"), json);
        assertTrue(!json.contains("\"m1\": "), json);
    }

    @Test
    void maskedStatementKeepsItsPasses() {
        Cascade c = cascade("masked").input("X", "i", "j").output("Y", "i")
                .let(a("Y", "i"), a("X", "i", "j"), ReduceOp.SUM, le(idx("j"), idx("i"))).build();
        assertEquals(Map.of("j", 1), CountPasses.run(c).passes());
    }
}
