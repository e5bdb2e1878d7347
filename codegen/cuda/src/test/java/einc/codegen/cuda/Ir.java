package einc.codegen.cuda;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Expr.Access;
import einc.ir.Expr.Binary;
import einc.ir.Expr.Op;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Param;
import einc.ir.Rank;
import einc.ir.ReduceOp;
import einc.ir.Reduction;
import einc.ir.Span;
import einc.ir.Split;
import einc.ir.TensorDecl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds small cascades by hand for tests, and the attention cascades of the examples (no frontend yet). */
final class Ir {

    static final Span S = Span.NONE;

    final String name;
    final List<String> batch = new ArrayList<>();
    final List<TensorDecl> inputs = new ArrayList<>(), outputs = new ArrayList<>(), inter = new ArrayList<>();
    final List<Param> params = new ArrayList<>();
    final List<Split> splits = new ArrayList<>();
    final Map<String, IndexDef> indices = new LinkedHashMap<>();
    final List<Einsum> stmts = new ArrayList<>();

    Ir(String name, String... batch) {
        this.name = name;
        this.batch.addAll(List.of(batch));
    }

    static IndexExpr ix(String n) {
        return new IndexExpr.Idx(n);
    }

    static Access at(String t, Object... pos) {
        return new Access(t, Arrays.stream(pos).map(o -> o instanceof String s ? (IndexExpr) ix(s) : (IndexExpr) o).toList());
    }

    static Expr mul(Expr... xs) {
        Expr e = xs[0];
        for (int i = 1; i < xs.length; i++) e = new Binary(Op.MUL, e, xs[i]);
        return e;
    }

    static Expr bin(Op op, Expr a, Expr b) {
        return new Binary(op, a, b);
    }

    static Expr fn(Expr.Fn f, Expr x) {
        return new Expr.Unary(f, x);
    }

    static Expr num(double v) {
        return new Expr.Const(v);
    }

    static Expr par(String n) {
        return new Expr.ParamRef(n);
    }

    static Expr val(String index) {
        return new Expr.IndexValue(index);
    }

    private List<Rank> ranks(String... rs) {
        List<Rank> out = new ArrayList<>();
        boolean named = Arrays.stream(rs).anyMatch(r -> batch.contains(r.replace("+", "")));
        if (!named) for (String b : batch) out.add(Rank.of(b));
        for (String r : rs) out.add(r.endsWith("+") ? new Rank(r.substring(0, r.length() - 1), true) : Rank.of(r));
        for (Rank r : out) indices.putIfAbsent(r.index(), new IndexDef(r.index(), new IndexDef.Bound(r.index()), S));
        return out;
    }

    Ir input(String n, DType t, String... rs) {
        inputs.add(new TensorDecl(n, ranks(rs), t, TensorDecl.Role.INPUT, S));
        return this;
    }

    Ir output(String n, DType t, String... rs) {
        outputs.add(new TensorDecl(n, ranks(rs), t, TensorDecl.Role.OUTPUT, S));
        return this;
    }

    Ir inter(String n, String... rs) {
        inter.add(new TensorDecl(n, ranks(rs), DType.F32, TensorDecl.Role.INTERMEDIATE, S));
        return this;
    }

    Ir param(String n, Expr dflt) {
        params.add(new Param(n, dflt, S));
        return this;
    }

    Ir split(String parent, String outer, String inner, long tile) {
        IndexExpr t = new IndexExpr.Lit(tile);
        splits.add(new Split(parent, outer, inner, t, S));
        indices.put(outer, new IndexDef(outer, new IndexDef.SplitOuter(parent, t), S));
        indices.put(inner, new IndexDef(inner, new IndexDef.SplitInner(parent, t), S));
        return this;
    }

    /** Makes {@code index} share the extent class of {@code rep}. */
    Ir same(String index, String rep) {
        indices.put(index, new IndexDef(index, new IndexDef.Bound(rep), S));
        return this;
    }

    /** A statement; target positions and accesses must already carry batch ranks where implicit. */
    Ir let(Access target, Expr body, ReduceOp op, List<String> reduced, Expr where) {
        stmts.add(new Einsum(withBatch(target), withBatch(body), op == null ? null : new Reduction(op, reduced), where == null ? null : withBatch(where), false, S));
        return this;
    }

    Ir let(Access target, Expr body) {
        return let(target, body, null, List.of(), null);
    }

    Ir init(Access target, Expr body) {
        stmts.add(new Einsum(withBatch(target), withBatch(body), null, null, true, S));
        return this;
    }

    private TensorDecl decl(String t) {
        for (List<TensorDecl> l : List.of(inputs, outputs, inter))
            for (TensorDecl d : l) if (d.name().equals(t)) return d;
        throw new IllegalArgumentException("no tensor " + t);
    }

    /** Prepends the leading batch ranks an access leaves out (docs/SEMANTICS.md). */
    private Access withBatch(Access a) {
        TensorDecl d = decl(a.tensor());
        int missing = d.arity() - a.indices().size();
        if (missing <= 0) return new Access(a.tensor(), a.indices().stream().toList());
        List<IndexExpr> pos = new ArrayList<>();
        for (int i = 0; i < missing; i++) pos.add(ix(d.ranks().get(i).index()));
        pos.addAll(a.indices());
        return new Access(a.tensor(), pos);
    }

    private Expr withBatch(Expr e) {
        return switch (e) {
            case Access a -> withBatch(a);
            case Expr.Unary(Expr.Fn f, Expr x) -> new Expr.Unary(f, withBatch(x));
            case Binary(Op op, Expr a, Expr b) -> new Binary(op, withBatch(a), withBatch(b));
            case Expr.Select(Expr c, Expr a, Expr b) -> new Expr.Select(withBatch(c), withBatch(a), withBatch(b));
            default -> e;
        };
    }

    Cascade build() {
        return new Cascade(name, batch, inputs, outputs, inter, params, splits, List.copyOf(indices.values()), stmts, S);
    }

    // ---- the attention cascades of examples/attention, by hand until the frontend lands

    static Expr scale() {
        return bin(Op.DIV, num(1), fn(Expr.Fn.SQRT, new Expr.ExtentRef("e")));
    }

    /** FuseMax's 3-pass softmax attention with a score modification {@code mod(QK)} and an optional mask. */
    static Cascade softmax(String name, DType t, java.util.function.UnaryOperator<Expr> mod, Expr mask, Param... extra) {
        return softmax(name, t, scale(), mod, mask, extra);
    }

    /** {@link #softmax} with another scale of the dot product (a negative one included). */
    static Cascade softmax(String name, DType t, Expr scale, java.util.function.UnaryOperator<Expr> mod, Expr mask, Param... extra) {
        Ir b = new Ir(name, "b", "h").input("Q", t, "p", "e").input("K", t, "m", "e").input("V", t, "m", "f")
                .output("AV", t, "p", "f").param("scale", scale)
                .inter("QK", "m", "p").inter("CS", "m", "p").inter("GM", "p").inter("SN", "m", "p").inter("SD", "p").inter("A", "m", "p");
        b.params.addAll(List.of(extra));
        b.let(at("QK", "m", "p"), mul(par("scale"), at("Q", "p", "e"), at("K", "m", "e")), ReduceOp.SUM, List.of("e"), mask);
        b.let(at("CS", "m", "p"), mod.apply(at("QK", "m", "p")));
        b.let(at("GM", "p"), at("CS", "m", "p"), ReduceOp.MAX, List.of("m"), null);
        b.let(at("SN", "m", "p"), fn(Expr.Fn.EXP, bin(Op.SUB, at("CS", "m", "p"), at("GM", "p"))));
        b.let(at("SD", "p"), at("SN", "m", "p"), ReduceOp.SUM, List.of("m"), null);
        b.let(at("A", "m", "p"), bin(Op.DIV, at("SN", "m", "p"), at("SD", "p")));
        b.let(at("AV", "p", "f"), mul(at("A", "m", "p"), at("V", "m", "f")), ReduceOp.SUM, List.of("m"), null);
        return b.build();
    }

    /**
     * Softmax attention with the division deferred to the end ({@code AV = SNV / SD}, FuseMax's
     * Cascade 2 as written), under a mask; {@code guarded} writes it {@code select(SD == 0, 0, SNV / SD)}
     * as the optimizer's OnlineSoftmax does. A row the mask empties is 0 / 0 = NaN unguarded, 0 guarded.
     */
    static Cascade deferred(String name, DType t, Expr mask, boolean guarded) {
        Ir b = new Ir(name, "b", "h").input("Q", t, "p", "e").input("K", t, "m", "e").input("V", t, "m", "f")
                .output("AV", t, "p", "f").param("scale", scale())
                .inter("QK", "m", "p").inter("GM", "p").inter("SN", "m", "p").inter("SD", "p").inter("SNV", "p", "f");
        b.let(at("QK", "m", "p"), mul(par("scale"), at("Q", "p", "e"), at("K", "m", "e")), ReduceOp.SUM, List.of("e"), mask);
        b.let(at("GM", "p"), at("QK", "m", "p"), ReduceOp.MAX, List.of("m"), null);
        b.let(at("SN", "m", "p"), fn(Expr.Fn.EXP, bin(Op.SUB, at("QK", "m", "p"), at("GM", "p"))));
        b.let(at("SD", "p"), at("SN", "m", "p"), ReduceOp.SUM, List.of("m"), null);
        b.let(at("SNV", "p", "f"), mul(at("SN", "m", "p"), at("V", "m", "f")), ReduceOp.SUM, List.of("m"), null);
        Expr div = bin(Op.DIV, at("SNV", "p", "f"), at("SD", "p"));
        b.let(at("AV", "p", "f"), guarded ? new Expr.Select(bin(Op.EQ, at("SD", "p"), num(0)), num(0), div) : div);
        return b.build();
    }

    /** m < p: the first query row has no key. */
    static Expr strictCausal() {
        return bin(Op.LT, val("m"), val("p"));
    }

    /** Attention with an element-wise weight {@code g(QK)} normalized by its sum over m (l1). */
    static Cascade l1(String name, DType t, Expr.Fn g) {
        Ir b = new Ir(name, "b", "h").input("Q", t, "p", "e").input("K", t, "m", "e").input("V", t, "m", "f")
                .output("AV", t, "p", "f").param("scale", scale())
                .inter("QK", "m", "p").inter("SP", "m", "p").inter("SD", "p").inter("A", "m", "p");
        b.let(at("QK", "m", "p"), mul(par("scale"), at("Q", "p", "e"), at("K", "m", "e")), ReduceOp.SUM, List.of("e"), null);
        b.let(at("SP", "m", "p"), fn(g, at("QK", "m", "p")));
        b.let(at("SD", "p"), at("SP", "m", "p"), ReduceOp.SUM, List.of("m"), null);
        b.let(at("A", "m", "p"), bin(Op.DIV, at("SP", "m", "p"), at("SD", "p")));
        b.let(at("AV", "p", "f"), mul(at("A", "m", "p"), at("V", "m", "f")), ReduceOp.SUM, List.of("m"), null);
        return b.build();
    }

    static Expr causal() {
        return bin(Op.LE, val("m"), val("p"));
    }

    /** m in (p - W, p]: a causal sliding window of W keys. */
    static Expr window(int w) {
        return bin(Op.AND, bin(Op.LE, val("m"), val("p")), bin(Op.LT, bin(Op.SUB, val("p"), val("m")), num(w)));
    }

    static Expr softcap(Expr qk) {
        return mul(par("cap"), fn(Expr.Fn.TANH, bin(Op.DIV, qk, par("cap"))));
    }

    /** FuseMax's Cascade 5: the 1-pass cascade, a recurrence over m1. */
    static Cascade onePass(DType t, long tile) {
        Ir b = new Ir("attention_1pass", "b", "h").input("Q", t, "p", "e").input("K", t, "m", "e").input("V", t, "m", "f")
                .output("AV", t, "p", "f").split("m", "m1", "m0", tile)
                .inter("RM", "m1+", "p").inter("RD", "m1+", "p").inter("RNV", "m1+", "p", "f")
                .inter("BQK", "m1", "m0", "p").inter("LM", "m1", "p").inter("SLN", "m1", "m0", "p").inter("SLD", "m1", "p")
                .inter("SLNV", "m1", "p", "f").inter("PRM", "m1", "p");
        IndexExpr mm = new IndexExpr.IBin(IndexExpr.IOp.ADD, new IndexExpr.IBin(IndexExpr.IOp.MUL, ix("m1"), new IndexExpr.Ext("m0")), ix("m0"));
        IndexExpr next = new IndexExpr.IBin(IndexExpr.IOp.ADD, ix("m1"), new IndexExpr.Lit(1));
        b.init(at("RM", "m1", "p"), num(Double.NEGATIVE_INFINITY));
        b.init(at("RD", "m1", "p"), num(0));
        b.init(at("RNV", "m1", "p", "f"), num(0));
        b.let(at("BQK", "m1", "m0", "p"), mul(at("Q", "p", "e"), at("K", mm, "e")), ReduceOp.SUM, List.of("e"), null);
        b.let(at("LM", "m1", "p"), at("BQK", "m1", "m0", "p"), ReduceOp.MAX, List.of("m0"), null);
        b.let(at("RM", next, "p"), bin(Op.MAX, at("RM", "m1", "p"), at("LM", "m1", "p")));
        b.let(at("SLN", "m1", "m0", "p"), fn(Expr.Fn.EXP, bin(Op.SUB, at("BQK", "m1", "m0", "p"), at("RM", next, "p"))));
        b.let(at("SLD", "m1", "p"), at("SLN", "m1", "m0", "p"), ReduceOp.SUM, List.of("m0"), null);
        b.let(at("SLNV", "m1", "p", "f"), mul(at("SLN", "m1", "m0", "p"), at("V", mm, "f")), ReduceOp.SUM, List.of("m0"), null);
        b.let(at("PRM", "m1", "p"), fn(Expr.Fn.EXP, bin(Op.SUB, at("RM", "m1", "p"), at("RM", next, "p"))));
        b.let(at("RD", next, "p"), bin(Op.ADD, at("SLD", "m1", "p"), mul(at("RD", "m1", "p"), at("PRM", "m1", "p"))));
        b.let(at("RNV", next, "p", "f"), bin(Op.ADD, at("SLNV", "m1", "p", "f"), mul(at("RNV", "m1", "p", "f"), at("PRM", "m1", "p"))));
        b.let(at("AV", "p", "f"), bin(Op.DIV, at("RNV", new IndexExpr.Ext("m1"), "p", "f"), at("RD", new IndexExpr.Ext("m1"), "p")));
        return b.build();
    }
}
