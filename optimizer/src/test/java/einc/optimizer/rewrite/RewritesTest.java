package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Expr;
import einc.ir.ReduceOp;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static einc.testing.Ir.*;
import static org.junit.jupiter.api.Assertions.*;

/** Each small rewrite: what it changes, that the numbers stay, and why it does not fire where its precondition fails. */
class RewritesTest {

    private static final Map<String, Long> SHAPE = Map.of("p", 5L, "m", 7L, "e", 3L, "f", 2L);

    @Test
    void reassociatesLinearAttentionSoNoStatementIteratesPAndM() {
        Cascade c = Examples.linear(null);
        Rewrite.Result r = new Reassociate().apply(c);
        assertTrue(r.applied(), r.reason());
        assertEquals(2, r.counters().get("reassociated"));
        Cascade o = new DeadStatements().apply(r.cascade()).cascade();
        Verifier.check(o, "reassociate");
        assertFalse(Passes.someStatementIterates(o, "p", "m"));
        assertTrue(Oracle.error(c, o, SHAPE, Map.of(), 5) < 1e-12);
    }

    /** Written already as phi(Q) (phi(K)^T V), linear attention stays so: the other order is quadratic in the sequence. */
    @Test
    void reassociateLeavesTheCheaperOrderAlone() throws Exception {
        Cascade written = einc.frontend.Frontend.compile(new einc.ir.Source("linear.ein",
                java.nio.file.Files.readString(java.nio.file.Path.of("../examples/attention/linear.ein")))).getFirst();
        Rewrite.Result r = new Reassociate().apply(written);
        assertSame(written, r.cascade());
        assertTrue(r.reason().contains("NUM: already contracted in the cheaper order (KV first"), r.reason());
        // and the quadratic form, reassociated once, is not turned back
        Cascade once = new DeadStatements().apply(new Reassociate().apply(Examples.linear(null)).cascade()).cascade();
        assertSame(once, new Reassociate().apply(once).cascade());
    }

    @Test
    void reassociateRefusesANonLinearStepAndAMask() {
        Cascade nonlinear = cascade("softmaxish").input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("O", "p", "f")
                .let(a("S", "m", "p"), exp(mul(a("Q", "p", "e"), a("K", "m", "e"))))
                .let(a("O", "p", "f"), mul(a("S", "m", "p"), a("V", "m", "f")))
                .build();
        Rewrite.Result r = new Reassociate().apply(nonlinear);
        assertSame(nonlinear, r.cascade());
        assertEquals("not applicable: O: S applies a non-linear step (exp(Q[p, e] * K[m, e])) before the sum", r.reason());
        Cascade causal = Examples.linear(le(idx("m"), idx("p")));
        Rewrite.Result q = new Reassociate().apply(causal);
        assertSame(causal, q.cascade());
        assertTrue(q.reason().contains("S is masked (a prefix sum: prefix-to-recurrence)"), q.reason());
    }

    @Test
    void chunksCausalLinearAttentionIntoARecurrence() {
        Cascade c = Examples.linear(le(idx("m"), idx("p")));
        for (long tile : new long[] {1, 3, 4}) {
            Rewrite.Result r = new PrefixToRecurrence(tile).apply(c);
            assertTrue(r.applied(), r.reason());
            assertEquals(2, r.counters().get("chunked"));
            Cascade o = new DeadStatements().apply(r.cascade()).cascade();
            Verifier.check(o, "prefix-to-recurrence");
            assertTrue(o.tensor("S").isEmpty(), "the P x M scores are gone");
            for (long[] pm : new long[][] {{7, 7}, {5, 9}, {11, 6}, {1, 1}}) {
                Map<String, Long> shape = Map.of("p", pm[0], "m", pm[1], "e", 2L, "f", 3L);
                double err = Oracle.error(c, o, shape, Map.of(), pm[0] + 10 * pm[1]);
                assertTrue(err < 1e-12, "tile " + tile + " P=" + pm[0] + " M=" + pm[1] + ": " + err + "\n" + einc.ir.Printer.print(o));
            }
        }
    }

    @Test
    void prefixToRecurrenceRefusesAStrictOrOtherMask() {
        Cascade strict = Examples.linear(lt(idx("m"), idx("p")));
        Rewrite.Result r = new PrefixToRecurrence(4).apply(strict);
        assertSame(strict, r.cascade());
        assertEquals("not applicable: N: S's condition is not m <= p; Z: S's condition is not m <= p", r.reason());
        assertEquals("not applicable: no sum over m of a product masked by m <= p", new PrefixToRecurrence(4).apply(Examples.linear(null)).reason());
    }

    @Test
    void onlineSoftmaxRefusesAMaxWithItsOwnCondition() {
        Cascade c = cascade("masked_max").input("Q", "p", "e").input("K", "m", "e").input("V", "m", "f").output("AV", "p", "f")
                .let(a("QK", "m", "p"), mul(a("Q", "p", "e"), a("K", "m", "e")))
                .let(a("GM", "p"), a("QK", "m", "p"), ReduceOp.MAX, le(idx("m"), idx("p")))
                .let(a("SN", "m", "p"), exp(sub(a("QK", "m", "p"), a("GM", "p"))))
                .let(a("SD", "p"), a("SN", "m", "p"))
                .let(a("AV", "p", "f"), div(mul(a("SN", "m", "p"), a("V", "m", "f")), a("SD", "p")))
                .build();
        Rewrite.Result r = new OnlineSoftmax().apply(c);
        assertSame(c, r.cascade());
        assertTrue(r.reason().startsWith("not applicable: GM: it has a where-condition of its own"), r.reason());
    }

    @Test
    void constantFoldingKeepsAccessesAndFoldsLiterals() {
        Cascade c = cascade("fold").input("X", "i").output("Y", "i")
                .let(a("Y", "i"), add(mul(a("X", "i"), mul(k(2), k(0.5))), k(0)))
                .build();
        Rewrite.Result r = new ConstantFolding().apply(c);
        assertTrue(r.applied());
        assertEquals(a("X", "i"), r.cascade().statements().getFirst().body());
        assertSame(r.cascade(), new ConstantFolding().apply(r.cascade()).cascade(), "a second run finds nothing");
        assertEquals("not applicable: nothing to fold", new ConstantFolding().apply(r.cascade()).reason());
    }

    @Test
    void commonSubexpressionsMergeEqualStatementsButNotOverOtherExtents() {
        Cascade c = cascade("cse").input("Q", "p", "e").input("K", "m", "e").input("K2", "m", "e2").output("O", "p")
                .let(a("S", "m", "p"), mul(a("Q", "p", "e"), a("K", "m", "e")))
                .let(a("T", "m", "p"), mul(a("Q", "p", "e"), a("K", "m", "e")))
                .let(a("U", "m", "p"), mul(a("Q", "p", "e2"), a("K2", "m", "e2")))
                .let(a("O", "p"), mul(mul(a("S", "m", "p"), a("T", "m", "p")), a("U", "m", "p")))
                .build();
        Rewrite.Result r = new CommonSubexpressions().apply(c);
        assertTrue(r.applied(), r.reason());
        assertEquals(List.of("T is S: its readers read S"), r.changes(), "U sums over e2, whose extent may differ");
        Verifier.check(r.cascade(), "common-subexpressions");
        Map<String, Long> shape = new HashMap<>(SHAPE);
        shape.put("e2", 3L);
        assertTrue(Oracle.error(c, r.cascade(), shape, Map.of(), 2) < 1e-12);
    }

    @Test
    void verifierNamesWhatIsWrong() {
        Cascade c = cascade("bad").input("X", "i").output("Y", "i")
                .let(a("Y", "i"), a("Z", "i"))
                .build();
        assertEquals(List.of("statement 1 (Y): reads undeclared tensor 'Z'"), Verifier.problems(c));
        Cascade ok = cascade("ok").input("X", "i").output("Y", "i").let(a("Y", "i"), a("X", "i")).build();
        assertEquals(List.of(), Verifier.problems(ok));
        Cascade reordered = ok.withStatements(List.of(), List.of(
                new einc.ir.Einsum(a("Y", "i"), a("X", "i"), new einc.ir.Reduction(ReduceOp.SUM, List.of("i")), null, false, einc.ir.Span.NONE)));
        assertEquals(List.of("statement 1 (Y): reduces [i] but the indices not on the left are []"), Verifier.problems(reordered));
    }

    @Test
    void maskBoundsAreSoundAndExactAndTileRulesHold() {
        for (Cascade c : List.of(Examples.causal(), Examples.slidingWindow())) {
            Cascade o = OnlineSoftmaxTest.onePass(c, 3);
            List<MaskToBounds.StatementBounds> plan = MaskToBounds.analyze(o);
            assertEquals(1, plan.size(), "one masked statement");
            MaskToBounds.StatementBounds sb = plan.getFirst();
            assertEquals(1, sb.tiles().size());
            Expr where = o.statements().get(sb.statement()).where();
            Map<String, Long> ext = Map.of("m0", 3L, "m", 8L, "p", 9L);
            int skipped = 0, dense = 0;
            for (long m1 = 0; m1 < 3; m1++)
                for (long p = 0; p < 9; p++) {
                    Map<String, Long> at = new HashMap<>(Map.of("m1", m1, "p", p));
                    boolean any = false, all = true;
                    for (long m0 = 0; m0 < 3; m0++) {
                        at.put("m0", m0);
                        boolean cond = Eval.truth(where, at, ext);
                        any |= cond;
                        all &= cond;
                        for (MaskToBounds.Bound b : sb.bounds())
                            if (cond) assertTrue(Eval.truth(new Expr.Binary(b.op(), new Expr.IndexValue(b.index()), b.bound()), at, ext), b + " at " + at);
                    }
                    at.remove("m0");
                    MaskToBounds.Tiles t = sb.tiles().getFirst();
                    boolean skip = Eval.truth(t.skipWhen(), at, ext);
                    assertEquals(!any, skip, "skip rule at " + at);
                    if (skip) skipped++;
                    if (t.denseWhen() != null) {
                        assertEquals(all, Eval.truth(t.denseWhen(), at, ext), "dense rule at " + at);
                        if (all) dense++;
                    }
                }
            assertTrue(skipped > 0 && dense > 0, c.name() + ": both kinds of tiles occur");
        }
    }
}
