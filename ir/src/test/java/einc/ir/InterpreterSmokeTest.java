package einc.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.ir.Expr.Access;
import einc.ir.Expr.Binary;
import einc.ir.Expr.Op;
import einc.ir.IndexExpr.Idx;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The interpreter on IR built by hand (no frontend): reductions, masks and absent entries. */
class InterpreterSmokeTest {

    private static final Span S = Span.NONE;

    static Access at(String t, String... ix) {
        return new Access(t, Arrays.stream(ix).<IndexExpr>map(Idx::new).toList());
    }

    static TensorDecl decl(String name, TensorDecl.Role role, String... ranks) {
        return new TensorDecl(name, Arrays.stream(ranks).map(Rank::of).toList(), DType.F32, role, S);
    }

    static IndexDef bound(String ix) {
        return new IndexDef(ix, new IndexDef.Bound(ix), S);
    }

    /** Y[p] = X[p, k] :: max(k) where k <= p; Z[p] = Y[p] (an output reading absent entries as 0). */
    @Test
    void maskedMaxGivesAbsentRowsAndIdentity() {
        Einsum y = new Einsum(at("Y", "p"), at("X", "p", "k"), new Reduction(ReduceOp.MAX, List.of("k")),
                new Binary(Op.LE, new Expr.IndexValue("k"), new Expr.IndexValue("p")), false, S);
        Einsum z = new Einsum(at("Z", "p", "k"), at("X", "p", "k"), null,
                new Binary(Op.LE, new Expr.IndexValue("k"), new Expr.IndexValue("p")), false, S);
        Cascade c = new Cascade("t", List.of(), List.of(decl("X", TensorDecl.Role.INPUT, "p", "k")),
                List.of(decl("Y", TensorDecl.Role.OUTPUT, "p"), decl("Z", TensorDecl.Role.OUTPUT, "p", "k")),
                List.of(), List.of(), List.of(), List.of(bound("p"), bound("k")), List.of(y, z), S);
        Dense x = new Dense(new int[] {3, 3}, new double[] {-5, 9, 9, 1, -2, 9, 4, 7, 3});
        Extents ext = Extents.bind(c, Map.of("X", x.shape()), Map.of());
        Map<String, Dense> out = Interpreter.run(c, ext, Map.of("X", x), Map.of());
        assertArrayEquals(new double[] {-5, 1, 7}, out.get("Y").data());
        assertArrayEquals(new double[] {-5, 0, 0, 1, -2, 0, 4, 7, 3}, out.get("Z").data());
    }

    /** S[p] = A[p, k] * B[k] over a ragged split of k: every chunk sums only in-range entries. */
    @Test
    void raggedSplitSkipsOutOfRangeEntries() {
        IndexExpr kk = new IndexExpr.IBin(IndexExpr.IOp.ADD,
                new IndexExpr.IBin(IndexExpr.IOp.MUL, new Idx("k1"), new IndexExpr.Ext("k0")), new Idx("k0"));
        Einsum part = new Einsum(at("P", "k1", "p"),
                new Binary(Op.MUL, new Access("A", List.of(new Idx("p"), kk)), new Access("B", List.of(kk))),
                new Reduction(ReduceOp.SUM, List.of("k0")), null, false, S);
        Einsum mx = new Einsum(at("M", "p"), at("P", "k1", "p"), new Reduction(ReduceOp.MAX, List.of("k1")), null, false, S);
        Cascade c = new Cascade("t", List.of(),
                List.of(decl("A", TensorDecl.Role.INPUT, "p", "k"), decl("B", TensorDecl.Role.INPUT, "k")),
                List.of(decl("M", TensorDecl.Role.OUTPUT, "p")),
                List.of(decl("P", TensorDecl.Role.INTERMEDIATE, "k1", "p")), List.of(),
                List.of(new Split("k", "k1", "k0", new IndexExpr.Lit(4), S)),
                List.of(bound("p"), bound("k"),
                        new IndexDef("k1", new IndexDef.SplitOuter("k", new IndexExpr.Lit(4)), S),
                        new IndexDef("k0", new IndexDef.SplitInner("k", new IndexExpr.Lit(4)), S)),
                List.of(part, mx), S);
        Random rnd = new Random(1);
        int p = 3, k = 9; // 9 = 2 full chunks of 4 and a ragged chunk of 1
        double[] a = new double[p * k], b = new double[k];
        for (int i = 0; i < a.length; i++) a[i] = -1 - rnd.nextDouble(); // negative partial sums: a 0 would win the max
        for (int i = 0; i < k; i++) b[i] = 1 + rnd.nextDouble();
        Extents ext = Extents.bind(c, Map.of("A", new int[] {p, k}, "B", new int[] {k}), Map.of());
        assertEquals(3, ext.of("k1"));
        Map<String, Dense> out = Interpreter.run(c, ext,
                Map.of("A", new Dense(new int[] {p, k}, a), "B", new Dense(new int[] {k}, b)), Map.of());
        for (int i = 0; i < p; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int c1 = 0; c1 * 4 < k; c1++) {
                double s = 0;
                for (int j = c1 * 4; j < Math.min(k, c1 * 4 + 4); j++) s += a[i * k + j] * b[j];
                best = Math.max(best, s);
            }
            assertEquals(best, out.get("M").data()[i], 1e-12);
        }
    }

    @Test
    void conflictingShapesNameBothTensors() {
        Einsum y = new Einsum(at("Y", "p"), new Binary(Op.MUL, at("A", "p", "k"), at("B", "k")),
                new Reduction(ReduceOp.SUM, List.of("k")), null, false, S);
        Cascade c = new Cascade("t", List.of(),
                List.of(decl("A", TensorDecl.Role.INPUT, "p", "k"), decl("B", TensorDecl.Role.INPUT, "k")),
                List.of(decl("Y", TensorDecl.Role.OUTPUT, "p")), List.of(), List.of(), List.of(),
                List.of(bound("p"), bound("k")), List.of(y), S);
        var lhm = new java.util.LinkedHashMap<String, int[]>();
        lhm.put("A", new int[] {2, 5});
        lhm.put("B", new int[] {4});
        EincException e = assertThrows(EincException.class, () -> Extents.bind(c, lhm, Map.of()));
        String msg = e.diagnostics().getFirst().message();
        assertTrue(msg.contains("'k'") && msg.contains("4") && msg.contains("5") && msg.contains("A") && msg.contains("B"), msg);
    }

    /** param a; param g = 2 / a; param h = g + 1: a missing is reported, not a crash evaluating g or h. */
    @Test
    void aMissingParameterIsReportedEvenWhenADefaultReadsIt() {
        Einsum y = new Einsum(at("Y", "p"), new Binary(Op.MUL, new Expr.ParamRef("h"), at("X", "p")), null, null, false, S);
        List<Param> params = List.of(new Param("a", null, S),
                new Param("g", new Binary(Op.DIV, new Expr.Const(2), new Expr.ParamRef("a")), S),
                new Param("h", new Binary(Op.ADD, new Expr.ParamRef("g"), new Expr.Const(1)), S));
        Cascade c = new Cascade("t", List.of(), List.of(decl("X", TensorDecl.Role.INPUT, "p")),
                List.of(decl("Y", TensorDecl.Role.OUTPUT, "p")), List.of(), params, List.of(), List.of(bound("p")), List.of(y), S);
        Extents ext = Extents.bind(c, Map.of("X", new int[] {2}), Map.of());
        EincException e = assertThrows(EincException.class, () -> Interpreter.params(c, ext, Map.of()));
        assertEquals(List.of(Code.MISSING_PARAM), e.diagnostics().stream().map(Diagnostic::code).toList());
        EincException typo = assertThrows(EincException.class, () -> Interpreter.params(c, ext, Map.of("aa", 1.0)));
        assertEquals(List.of(Code.UNKNOWN_PARAM, Code.MISSING_PARAM), typo.diagnostics().stream().map(Diagnostic::code).toList());
        assertEquals(Map.of("a", 4.0, "g", 0.5, "h", 1.5), Interpreter.params(c, ext, Map.of("a", 4.0)));
    }

    /** split k = (k1, k0) by 4 with K = 10: --shape k0=3 or k1=2 contradicts the split and is an error; k1=3 agrees. */
    @Test
    void explicitExtentsOfSplitPartsMustAgreeWithTheSplit() {
        Einsum y = new Einsum(at("Y", "k1"), new Access("X", List.of(new IndexExpr.IBin(IndexExpr.IOp.ADD,
                new IndexExpr.IBin(IndexExpr.IOp.MUL, new Idx("k1"), new IndexExpr.Ext("k0")), new Idx("k0")))),
                new Reduction(ReduceOp.SUM, List.of("k0")), null, false, S);
        Cascade c = new Cascade("t", List.of(), List.of(decl("X", TensorDecl.Role.INPUT, "k")),
                List.of(decl("Y", TensorDecl.Role.OUTPUT, "k1")), List.of(), List.of(),
                List.of(new Split("k", "k1", "k0", new IndexExpr.Lit(4), S)),
                List.of(bound("k"), new IndexDef("k1", new IndexDef.SplitOuter("k", new IndexExpr.Lit(4)), S),
                        new IndexDef("k0", new IndexDef.SplitInner("k", new IndexExpr.Lit(4)), S)), List.of(y), S);
        for (String part : List.of("k0", "k1")) {
            EincException e = assertThrows(EincException.class,
                    () -> Extents.bind(c, Map.of("X", new int[] {10}), Map.of(part, 2L)));
            assertEquals(Code.EXTENT_CONFLICT, e.diagnostics().getFirst().code());
            assertTrue(e.diagnostics().getFirst().message().contains("the split of 'k'"), e.diagnostics().getFirst().message());
        }
        assertEquals(3, Extents.bind(c, Map.of("X", new int[] {10}), Map.of("k1", 3L)).of("k1"));
    }

    /**
     * Inputs Q[p, e] and K[m, e] given with E = 3 and E = 5: one error naming both tensors, the rank
     * of each and both extents, with a hint; an array of the wrong number of ranks is one error too
     * (no follow-on "cannot be determined" for the ranks it would have bound).
     */
    @Test
    void shapeMismatchesNameTensorRankAndBothExtents() {
        Cascade c = new Cascade("t", List.of(), List.of(decl("Q", TensorDecl.Role.INPUT, "p", "e"), decl("K", TensorDecl.Role.INPUT, "m", "e")),
                List.of(decl("S", TensorDecl.Role.OUTPUT, "p", "m")), List.of(), List.of(), List.of(),
                List.of(bound("p"), bound("e"), bound("m")),
                List.of(new Einsum(at("S", "p", "m"), new Binary(Op.MUL, at("Q", "p", "e"), at("K", "m", "e")),
                        new Reduction(ReduceOp.SUM, List.of("e")), null, false, S)), S);
        EincException e = assertThrows(EincException.class,
                () -> Extents.bind(c, Map.of("Q", new int[] {2, 3}, "K", new int[] {4, 5}), Map.of()));
        assertEquals(1, e.diagnostics().size(), e.getMessage());
        Diagnostic d = e.diagnostics().getFirst();
        assertEquals(Code.EXTENT_CONFLICT, d.code());
        for (String part : List.of("'e'", "rank 2 of 'K'", "rank 2 of 'Q'", "5", "3"))
            assertTrue(d.message().contains(part), part + " in " + d.message());
        assertTrue(d.hint() != null && d.hint().contains("agree"), String.valueOf(d.hint()));
        EincException ranks = assertThrows(EincException.class,
                () -> Extents.bind(c, Map.of("Q", new int[] {2, 3}, "K", new int[] {4, 3, 1}), Map.of()));
        assertEquals(List.of(Code.SHAPE_MISMATCH), ranks.diagnostics().stream().map(Diagnostic::code).toList());
        assertTrue(ranks.diagnostics().getFirst().hint().contains("[m, e]"), ranks.diagnostics().getFirst().hint());
    }
}
