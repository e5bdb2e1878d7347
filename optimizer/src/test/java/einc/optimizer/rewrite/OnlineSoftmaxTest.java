package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.testing.FuseMax;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static einc.testing.Ir.*;
import static org.junit.jupiter.api.Assertions.*;

class OnlineSoftmaxTest {

    static Cascade onePass(Cascade c, long tile) {
        Cascade d = new DeadStatements().apply(new DeferNormalization().apply(c).cascade()).cascade();
        Verifier.check(d, "defer-normalization");
        Rewrite.Result r = new OnlineSoftmax(tile).apply(d);
        assertTrue(r.applied(), r.reason());
        Verifier.check(r.cascade(), "online-softmax");
        Cascade out = new DeadStatements().apply(r.cascade()).cascade();
        Verifier.check(out, "dead-statements");
        return out;
    }

    @Test
    void cascade4BecomesOnePassAndComputesTheSameNumbers() {
        Cascade c4 = FuseMax.cascade4();
        Cascade c5 = onePass(c4, 4);
        for (long m : new long[] {8, 7, 1, 13}) {
            Map<String, Long> shape = Map.of("p", 5L, "m", m, "e", 3L, "f", 2L);
            assertTrue(Oracle.error(c4, c5, shape, Map.of(), m) < 1e-12, "M = " + m);
        }
    }

    @Test
    void maskedAndRaggedTilesStayExact() {
        for (Cascade c : new Cascade[] {Examples.causal(), Examples.slidingWindow()}) {
            Cascade o = onePass(c, 4);
            for (long m : new long[] {9, 12, 3}) {
                Map<String, Long> shape = Map.of("p", 11L, "m", m, "e", 3L, "f", 2L);
                double err = Oracle.error(c, o, shape, Map.of(), m);
                assertTrue(err < 1e-12, c.name() + " M = " + m + ": " + err);
            }
        }
    }

    @Test
    void doesNotFireWhileTheNormalizationIsNotDeferred() {
        Cascade c4 = FuseMax.cascade4();
        Rewrite.Result r = new OnlineSoftmax().apply(c4);
        assertSame(c4, r.cascade());
        assertEquals("not applicable: GM: A reads SN but is not a sum over m alone (defer-normalization first?)", r.reason());
    }
}
