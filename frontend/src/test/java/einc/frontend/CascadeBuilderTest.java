package einc.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.ReduceOp;
import einc.ir.Source;
import einc.ir.TensorDecl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tricky parts of building the IR: batch ranks, omitted accesses, reduction order, extent classes. */
class CascadeBuilderTest {

    static Cascade one(String text) {
        List<Cascade> all = Frontend.compile(new Source("test.ein", text));
        assertEquals(1, all.size());
        return all.getFirst();
    }

    static Cascade example(String name) throws Exception {
        return one(Files.readString(Path.of("..", "examples", "attention", name)));
    }

    static IndexExpr ix(String n) {
        return IndexExpr.idx(n);
    }

    static List<IndexExpr> ixs(String... names) {
        return java.util.Arrays.stream(names).map(IndexExpr::idx).map(IndexExpr.class::cast).toList();
    }

    static Einsum def(Cascade c, String tensor) {
        return c.definition(tensor).orElseThrow();
    }

    @Test
    void batchRanksArePrependedToTensorsThatNameNone() throws Exception {
        Cascade c = example("softmax.ein");
        assertEquals(List.of("b", "h"), c.batchRanks());
        assertEquals(List.of("b", "h", "p", "e"), c.tensorOrThrow("Q").indexNames());
        assertEquals(List.of("b", "h", "p", "f"), c.tensorOrThrow("AV").indexNames());
        assertEquals(List.of("b", "h", "m", "p"), c.tensorOrThrow("QK").indexNames());
        assertEquals(List.of("b", "h", "p"), c.tensorOrThrow("GM").indexNames());
        assertEquals(TensorDecl.Role.INTERMEDIATE, c.tensorOrThrow("QK").role());
        assertEquals(List.of("QK", "GM", "SN", "SD", "A"), c.intermediates().stream().map(TensorDecl::name).toList());
    }

    @Test
    void accessesLeavingOutLeadingBatchRanksGetThemBack() throws Exception {
        Cascade c = example("softmax.ein");
        Einsum qk = def(c, "QK");
        assertEquals(new Expr.Access("QK", ixs("b", "h", "m", "p")), qk.target());
        Expr expected = new Expr.Binary(Expr.Op.MUL,
                new Expr.Binary(Expr.Op.MUL, new Expr.ParamRef("scale"), new Expr.Access("Q", ixs("b", "h", "p", "e"))),
                new Expr.Access("K", ixs("b", "h", "m", "e")));
        assertEquals(expected, qk.body());
        assertEquals(new einc.ir.Reduction(ReduceOp.SUM, List.of("e")), qk.reduction());
        assertEquals(new einc.ir.Reduction(ReduceOp.MAX, List.of("m")), def(c, "GM").reduction());
        assertNull(def(c, "SN").reduction());
        assertEquals(new Expr.Binary(Expr.Op.DIV, new Expr.Const(1), new Expr.Unary(Expr.Fn.SQRT, new Expr.ExtentRef("e"))),
                c.param("scale").orElseThrow().defaultValue());
    }

    @Test
    void aTensorNamingABatchRankIsTakenAsWrittenAndItsAccessesMayOmitTheRest() {
        Cascade c = one("""
                cascade gqa {
                  batch b, h
                  input Q[p, e], K[b, g, m, e], slope[h]
                  output S[m, p]
                  S[m, p] = Q[p, e] * K[h / (H / G), m, e] - slope[h] * abs(p - m)
                }
                """);
        assertEquals(List.of("b", "g", "m", "e"), c.tensorOrThrow("K").indexNames());
        assertEquals(List.of("h"), c.tensorOrThrow("slope").indexNames());
        Expr body = def(c, "S").body();
        List<Expr.Access> reads = new java.util.ArrayList<>();
        einc.ir.Exprs.forEach(body, e -> { if (e instanceof Expr.Access a) reads.add(a); });
        IndexExpr group = new IndexExpr.IBin(IndexExpr.IOp.DIV, ix("h"),
                new IndexExpr.IBin(IndexExpr.IOp.DIV, new IndexExpr.Ext("h"), new IndexExpr.Ext("g")));
        assertEquals(new Expr.Access("K", List.of(ix("b"), group, ix("m"), ix("e"))), reads.get(1));
        assertEquals(new Expr.Access("slope", ixs("h")), reads.get(2));
        assertEquals(new einc.ir.Reduction(ReduceOp.SUM, List.of("e")), def(c, "S").reduction());
    }

    @Test
    void reducedIndicesComeInOrderOfFirstAppearance() {
        Cascade c = one("""
                cascade r {
                  input A[p, k, j], B[j, i], C[q]
                  output Y[p]
                  Y[p] = A[p, k, j] * B[j, i] where C[q] > 0
                }
                """);
        assertEquals(List.of("k", "j", "i", "q"), def(c, "Y").reducedIndices());
        assertEquals(List.of("p", "k", "j", "i", "q"), def(c, "Y").space());
    }

    @Test
    void explicitReductionListsMayNameIndicesInAnyOrder() {
        Cascade c = one("""
                cascade r {
                  input A[p, k, j]
                  output Y[p]
                  Y[p] = A[p, k, j] :: max(j, k)
                }
                """);
        assertEquals(new einc.ir.Reduction(ReduceOp.MAX, List.of("k", "j")), def(c, "Y").reduction());
    }

    @Test
    void cascade5IndexClassesHaveSplitPartsAndBoundRanks() throws Exception {
        Cascade c = example("softmax_1pass.ein");
        IndexExpr tile = new IndexExpr.Lit(64);
        assertEquals(new IndexDef.SplitOuter("m", tile), c.index("m1").orElseThrow().rule());
        assertEquals(new IndexDef.SplitInner("m", tile), c.index("m0").orElseThrow().rule());
        assertEquals(new IndexDef.Bound("m"), c.index("m").orElseThrow().rule());
        for (String i : List.of("b", "h", "p", "e", "f")) assertEquals(new IndexDef.Bound(i), c.index(i).orElseThrow().rule(), i);
        assertEquals(List.of("b", "h", "p", "e", "m", "f", "m1", "m0"), c.indices().stream().map(IndexDef::name).toList());
        assertEquals(List.of(Rank.of("b"), Rank.of("h"), new Rank("m1", true), Rank.of("p")), c.tensorOrThrow("RM").ranks());
        assertTrue(c.tensorOrThrow("RNV").isIterative());
        assertFalse(c.tensorOrThrow("BQK").isIterative());
    }

    @Test
    void cascade5RecurrenceTargetsAndInits() throws Exception {
        Cascade c = example("softmax_1pass.ein");
        Einsum init = c.statements().getFirst();
        assertTrue(init.init());
        assertEquals(new Expr.Access("RM", ixs("b", "h", "m1", "p")), init.target());
        assertEquals(new Expr.Const(Double.NEGATIVE_INFINITY), init.body());
        IndexExpr next = new IndexExpr.IBin(IndexExpr.IOp.ADD, ix("m1"), new IndexExpr.Lit(1));
        assertEquals(new Expr.Access("RM", List.of(ix("b"), ix("h"), next, ix("p"))), def(c, "RM").target());
        assertNull(def(c, "RM").reduction());
        assertEquals(new einc.ir.Reduction(ReduceOp.MAX, List.of("m0")), def(c, "LM").reduction());
        Expr av = def(c, "AV").body();
        assertEquals(new Expr.Binary(Expr.Op.DIV,
                new Expr.Access("RNV", List.of(ix("b"), ix("h"), new IndexExpr.Ext("m1"), ix("p"), ix("f"))),
                new Expr.Access("RD", List.of(ix("b"), ix("h"), new IndexExpr.Ext("m1"), ix("p")))), av);
    }

    @Test
    void indicesAtTheSameRankShareAClassRepresentedByASplitPartWhenThereIsOne() {
        Cascade c = one("""
                cascade k {
                  input A[i, j], B[n]
                  output Y[i, n]
                  split n = (n1, n0) by 8
                  X[q, n0] = A[q, j] * B[n1 * N0 + n0]
                  Y[r, n] = X[r, n0] :: max(n0)
                }
                """);
        assertEquals(new IndexDef.Bound("i"), c.index("q").orElseThrow().rule());
        assertEquals(new IndexDef.Bound("i"), c.index("r").orElseThrow().rule());
        assertEquals(new IndexDef.SplitInner("n", new IndexExpr.Lit(8)), c.index("n0").orElseThrow().rule());
        assertEquals(new IndexDef.Bound("n"), c.index("n").orElseThrow().rule());
    }

    @Test
    void aClassContainingASplitPartIsRepresentedByIt() {
        Cascade c = one("""
                cascade k {
                  input A[m, e]
                  output Y[t]
                  split m = (m1, m0) by 16
                  X[m0] = A[m1 * M0 + m0, e]
                  Y[t] = X[t]
                }
                """);
        assertEquals(new IndexDef.Bound("m0"), c.index("t").orElseThrow().rule());
    }

    @Test
    void bareNamesResolveToScalarsParamsExtentsAndIndexValues() {
        Cascade c = one("""
                cascade n {
                  batch t
                  input A[k], B[k]
                  output Z, W[k]
                  param s = 2
                  Y = A[k] * B[k]
                  Z[] = Y
                  W[k] = Y * s + K - k
                }
                """);
        assertEquals(List.of("t"), c.tensorOrThrow("Y").indexNames());
        assertEquals(new Expr.Access("Y", ixs("t")), def(c, "Z").body());
        Expr w = def(c, "W").body();
        assertEquals(new Expr.Binary(Expr.Op.SUB,
                new Expr.Binary(Expr.Op.ADD,
                        new Expr.Binary(Expr.Op.MUL, new Expr.Access("Y", ixs("t")), new Expr.ParamRef("s")),
                        new Expr.ExtentRef("k")),
                new Expr.IndexValue("k")), w);
    }

    @Test
    void unaryMinusOfALiteralFoldsIntoANegativeConstant() {
        Cascade c = one("""
                cascade u {
                  input A[i]
                  output Y[i]
                  Y[i] = -2 * A[i] + -(3) - -inf
                }
                """);
        assertEquals(new Expr.Binary(Expr.Op.SUB,
                new Expr.Binary(Expr.Op.ADD,
                        new Expr.Binary(Expr.Op.MUL, new Expr.Const(-2), new Expr.Access("A", ixs("i"))),
                        new Expr.Unary(Expr.Fn.NEG, new Expr.Const(3))),
                new Expr.Const(Double.NEGATIVE_INFINITY)), def(c, "Y").body());
    }

    @Test
    void severalCascadesPerFileAndStatementsSeparatedBySemicolons() {
        List<Cascade> all = Frontend.compile(new Source("two.ein", """
                cascade a { input X[i]; output Y[i]; Y[i] = X[i] }

                cascade b {
                  input X[i]
                  output Y
                  Y = X[i] :: max(i)   # a scalar output
                }
                """));
        assertEquals(List.of("a", "b"), all.stream().map(Cascade::name).toList());
        assertEquals(List.of(), all.get(1).tensorOrThrow("Y").ranks());
    }

    @Test
    void aLongExpressionMayContinueOnTheNextLineInsideParentheses() {
        Cascade c = one("""
                cascade l {
                  input A[i], B[i]
                  output Y[i]
                  Y[i] = max(A[i] +
                             B[i],
                             0)
                }
                """);
        assertEquals(Expr.Op.MAX, ((Expr.Binary) def(c, "Y").body()).op());
    }

    @Test
    void aLineInsideParenthesesMayStartWithAnOperatorOrAClosingBracket() {
        Cascade c = one("""
                cascade l {
                  input A[i], B[i]
                  output Y[i]
                  Y[i] = max(A[i]
                             - B[i]
                             , 0
                  )
                }
                """);
        Expr.Binary max = (Expr.Binary) def(c, "Y").body();
        assertEquals(Expr.Op.MAX, max.op());
        assertEquals(Expr.Op.SUB, ((Expr.Binary) max.a()).op());
    }
}
