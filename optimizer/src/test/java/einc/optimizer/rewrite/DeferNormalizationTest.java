package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.testing.FuseMax;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static einc.testing.Ir.*;
import static org.junit.jupiter.api.Assertions.*;

class DeferNormalizationTest {

    private static final Map<String, Long> SHAPE = Map.of("p", 5L, "m", 7L, "e", 3L, "f", 2L);

    @Test
    void defersTheDivisionOfCascade4AndKeepsTheNumbers() {
        Cascade c4 = FuseMax.cascade4();
        Rewrite.Result r = new DeferNormalization().apply(c4);
        assertTrue(r.applied(), r.reason());
        assertEquals(1, r.counters().get("deferred"));
        Verifier.check(r.cascade(), "defer-normalization");
        Cascade clean = new DeadStatements().apply(r.cascade()).cascade();
        Verifier.check(clean, "dead-statements");
        assertTrue(clean.tensor("A").isEmpty(), "A is dead once the division is deferred");
        assertEquals("AVN", clean.definition("AV").orElseThrow().body() instanceof einc.ir.Expr.Binary b
                && b.a() instanceof einc.ir.Expr.Access n ? n.tensor() : null);
        assertTrue(Oracle.error(c4, clean, SHAPE, Map.of(), 1) < 1e-12);
    }

    @Test
    void doesNotFireWhenTheDenominatorDependsOnTheSummedIndex() {
        Cascade c = cascade("no").input("X", "m", "p").input("D", "m").input("V", "m", "f").output("O", "p", "f")
                .let(a("O", "p", "f"), mul(div(a("X", "m", "p"), a("D", "m")), a("V", "m", "f")))
                .build();
        Rewrite.Result r = new DeferNormalization().apply(c);
        assertSame(c, r.cascade());
        assertEquals("not applicable: O: D depends on m", r.reason());
    }
}
