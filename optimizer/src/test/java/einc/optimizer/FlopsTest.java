package einc.optimizer;

import einc.ir.Cascade;
import einc.testing.FuseMax;
import einc.testing.Ir;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** FLOP counts checked against hand counts for FuseMax's Cascades 4 and 5. */
class FlopsTest {

    static final long P = 128, M = 1000, E = 64, F = 32;
    static final Map<String, Long> EXTENTS = Map.of("p", P, "m", M, "e", E, "f", F);

    @Test
    void cascade4MatchesHandCount() {
        FlopCount f = Flops.count(FuseMax.cascade4(), EXTENTS);
        // QK: M·P·E multiply-adds; GM: M·P max; SN: M·P sub + exp; SD: M·P adds; A: M·P divides; AV: P·F·M multiply-adds.
        assertEquals(M * P * E + M * P + M * P + P * F * M, f.adds());
        assertEquals(M * P * E + P * F * M, f.multiplies());
        assertEquals(M * P, f.transcendentals());
        assertEquals(M * P, f.divisions());
        assertEquals(M * P, f.comparisons());
        assertEquals(f.adds() + f.multiplies() + 3 * M * P, f.total());
    }

    @Test
    void cascade5MatchesHandCount() {
        Cascade c = FuseMax.cascade5();
        FlopCount f = Flops.count(c, EXTENTS);
        long m1 = (M + 63) / 64, m0 = 64, mm = m1 * m0; // ragged last tile is counted whole
        // BQK: mm·P·E multiply-adds; LM: mm·P max; RM: m1·P max; SLN: mm·P sub + exp; SLD: mm·P adds;
        // SLNV: mm·P·F multiply-adds; PRM: m1·P sub + exp; RD: m1·P add + mul; RNV: m1·P·F add + mul; AV: P·F divides.
        assertEquals(mm * P * E + mm * P + mm * P + mm * P * F + m1 * P + m1 * P + m1 * P * F, f.adds());
        assertEquals(mm * P * E + mm * P * F + m1 * P + m1 * P * F, f.multiplies());
        assertEquals(mm * P + m1 * P, f.transcendentals());
        assertEquals(P * F, f.divisions());
        assertEquals(mm * P + m1 * P, f.comparisons());
    }

    @Test
    void constantSubexpressionsCountOncePerStatement() {
        Cascade c = Ir.cascade("scaled").input("X", "i").output("Y", "i")
                .let(Ir.a("Y", "i"), Ir.mul(Ir.div(Ir.k(1), Ir.k(8)), Ir.a("X", "i"))).build();
        FlopCount f = Flops.count(c, Map.of("i", 10L));
        assertEquals(10, f.multiplies());
        assertEquals(1, f.divisions());
    }
}
