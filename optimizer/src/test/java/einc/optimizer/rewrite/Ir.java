package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Builds small cascades by hand for tests, the way the frontend would (no batch ranks). */
final class Ir {

    private final String name;
    private final List<TensorDecl> inputs = new ArrayList<>();
    private final List<TensorDecl> outputs = new ArrayList<>();
    private final List<TensorDecl> intermediates = new ArrayList<>();
    private final List<Param> params = new ArrayList<>();
    private final List<Split> splits = new ArrayList<>();
    private final List<Einsum> statements = new ArrayList<>();
    private final Set<String> indices = new LinkedHashSet<>();

    private Ir(String name) {
        this.name = name;
    }

    static Ir cascade(String name) {
        return new Ir(name);
    }

    Ir input(String tensor, String... ranks) {
        inputs.add(decl(tensor, TensorDecl.Role.INPUT, ranks));
        indices.addAll(List.of(ranks));
        return this;
    }

    Ir output(String tensor, String... ranks) {
        outputs.add(decl(tensor, TensorDecl.Role.OUTPUT, ranks));
        return this;
    }

    private static TensorDecl decl(String tensor, TensorDecl.Role role, String... ranks) {
        List<Rank> rs = new ArrayList<>();
        for (String r : ranks) rs.add(Rank.of(r));
        return new TensorDecl(tensor, rs, DType.F32, role, Span.NONE);
    }

    Ir param(String p, Expr defaultValue) {
        params.add(new Param(p, defaultValue, Span.NONE));
        return this;
    }

    Ir split(String parent, String outer, String inner, long tile) {
        splits.add(new Split(parent, outer, inner, new IndexExpr.Lit(tile), Span.NONE));
        indices.add(outer);
        indices.add(inner);
        return this;
    }

    /** {@code target = body} reduced with + over the indices not on the left. */
    Ir let(Expr.Access target, Expr body) {
        return let(target, body, ReduceOp.SUM, null);
    }

    Ir let(Expr.Access target, Expr body, ReduceOp op) {
        return let(target, body, op, null);
    }

    Ir let(Expr.Access target, Expr body, ReduceOp op, Expr where) {
        return add(target, body, op, where, false);
    }

    Ir init(Expr.Access target, Expr body) {
        return add(target, body, ReduceOp.SUM, null, true);
    }

    private Ir add(Expr.Access target, Expr body, ReduceOp op, Expr where, boolean init) {
        Set<String> space = new LinkedHashSet<>();
        target.indices().forEach(ix -> Exprs.collectIndices(ix, space));
        Exprs.collectIndices(body, space);
        if (where != null) Exprs.collectIndices(where, space);
        Set<String> lhs = new LinkedHashSet<>();
        target.indices().forEach(ix -> Exprs.collectIndices(ix, lhs));
        List<String> reduced = space.stream().filter(i -> !lhs.contains(i)).toList();
        indices.addAll(space);
        boolean declared = inputs.stream().anyMatch(t -> t.name().equals(target.tensor()))
                || outputs.stream().anyMatch(t -> t.name().equals(target.tensor()))
                || intermediates.stream().anyMatch(t -> t.name().equals(target.tensor()));
        List<Rank> ranks = new ArrayList<>();
        for (IndexExpr ix : target.indices()) {
            List<String> ids = new ArrayList<>();
            Exprs.collectIndices(ix, ids);
            ranks.add(new Rank(ids.getFirst(), ix.plainIndex() == null || init && isIterativeName(ids.getFirst())));
        }
        if (!declared) {
            intermediates.add(new TensorDecl(target.tensor(), ranks, DType.F32, TensorDecl.Role.INTERMEDIATE, Span.NONE));
        }
        Reduction r = reduced.isEmpty() ? null : new Reduction(op, reduced);
        statements.add(new Einsum(target, body, r, where, init, Span.NONE));
        return this;
    }

    private boolean isIterativeName(String ix) {
        return splits.stream().anyMatch(s -> s.outer().equals(ix));
    }

    Cascade build() {
        List<IndexDef> defs = new ArrayList<>();
        for (String i : indices) {
            Split parent = splits.stream().filter(s -> s.outer().equals(i) || s.inner().equals(i)).findFirst().orElse(null);
            IndexDef.Rule rule = parent == null ? new IndexDef.Bound(i)
                    : parent.outer().equals(i) ? new IndexDef.SplitOuter(parent.parent(), parent.tile())
                    : new IndexDef.SplitInner(parent.parent(), parent.tile());
            defs.add(new IndexDef(i, rule, Span.NONE));
        }
        return new Cascade(name, List.of(), inputs, outputs, intermediates, params, splits, defs, statements, Span.NONE);
    }

    // --- expressions

    /** {@code T[i, j]}; an index written {@code "m1+1"} is {@code m1 + 1}; {@code "M1"} (upper case) is the extent. */
    static Expr.Access a(String tensor, String... ix) {
        List<IndexExpr> out = new ArrayList<>();
        for (String s : ix) out.add(ix(s));
        return new Expr.Access(tensor, out);
    }

    static IndexExpr ix(String s) {
        if (s.endsWith("+1")) return new IndexExpr.IBin(IndexExpr.IOp.ADD, ix(s.substring(0, s.length() - 2)), new IndexExpr.Lit(1));
        if (s.contains("*")) {
            String[] parts = s.split("[*+]");
            return new IndexExpr.IBin(IndexExpr.IOp.ADD,
                    new IndexExpr.IBin(IndexExpr.IOp.MUL, ix(parts[0]), ix(parts[1])), ix(parts[2]));
        }
        if (Character.isUpperCase(s.charAt(0))) return new IndexExpr.Ext(s.toLowerCase(java.util.Locale.ROOT));
        if (Character.isDigit(s.charAt(0))) return new IndexExpr.Lit(Long.parseLong(s));
        return new IndexExpr.Idx(s);
    }

    static Expr mul(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.MUL, x, y);
    }

    static Expr div(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.DIV, x, y);
    }

    static Expr add(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.ADD, x, y);
    }

    static Expr sub(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.SUB, x, y);
    }

    static Expr max(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.MAX, x, y);
    }

    static Expr op(Expr.Op op, Expr x, Expr y) {
        return new Expr.Binary(op, x, y);
    }

    static Expr le(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.LE, x, y);
    }

    static Expr lt(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.LT, x, y);
    }

    static Expr and(Expr x, Expr y) {
        return new Expr.Binary(Expr.Op.AND, x, y);
    }

    static Expr exp(Expr x) {
        return new Expr.Unary(Expr.Fn.EXP, x);
    }

    static Expr fn(Expr.Fn f, Expr x) {
        return new Expr.Unary(f, x);
    }

    static Expr idx(String i) {
        return new Expr.IndexValue(i);
    }

    static Expr ext(String i) {
        return new Expr.ExtentRef(i);
    }

    static Expr k(double v) {
        return new Expr.Const(v);
    }

    static Expr paramRef(String p) {
        return new Expr.ParamRef(p);
    }
}
