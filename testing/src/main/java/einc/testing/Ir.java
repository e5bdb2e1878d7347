package einc.testing;

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
import java.util.Locale;
import java.util.Set;

/**
 * Builds small cascades by hand for tests, the way the frontend would: intermediates and reduced
 * indices inferred from the statements, batch ranks prepended to tensors that name none and to
 * accesses that leave them out (docs/SEMANTICS.md).
 */
public final class Ir {

    private final String name;
    private List<String> batch = List.of();
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

    public static Ir cascade(String name) {
        return new Ir(name);
    }

    /** Declares the cascade's batch ranks; call it before the tensors. */
    public Ir batch(String... ranks) {
        batch = List.of(ranks);
        indices.addAll(batch);
        return this;
    }

    public Ir input(String tensor, String... ranks) {
        return input(tensor, DType.F32, ranks);
    }

    public Ir input(String tensor, DType type, String... ranks) {
        inputs.add(decl(tensor, type, TensorDecl.Role.INPUT, ranks));
        return this;
    }

    public Ir output(String tensor, String... ranks) {
        return output(tensor, DType.F32, ranks);
    }

    public Ir output(String tensor, DType type, String... ranks) {
        outputs.add(decl(tensor, type, TensorDecl.Role.OUTPUT, ranks));
        return this;
    }

    private TensorDecl decl(String tensor, DType type, TensorDecl.Role role, String... ranks) {
        List<Rank> rs = new ArrayList<>();
        if (List.of(ranks).stream().noneMatch(batch::contains)) for (String b : batch) rs.add(Rank.of(b));
        for (String r : ranks) rs.add(Rank.of(r));
        rs.forEach(r -> indices.add(r.index()));
        return new TensorDecl(tensor, rs, type, role, Span.NONE);
    }

    public Ir param(String p) {
        return param(p, null);
    }

    public Ir param(String p, Expr defaultValue) {
        params.add(new Param(p, defaultValue, Span.NONE));
        return this;
    }

    public Ir split(String parent, String outer, String inner, long tile) {
        splits.add(new Split(parent, outer, inner, new IndexExpr.Lit(tile), Span.NONE));
        indices.add(outer);
        indices.add(inner);
        return this;
    }

    /** {@code target = body} reduced with + over the indices not on the left. */
    public Ir let(Expr.Access target, Expr body) {
        return let(target, body, ReduceOp.SUM, null);
    }

    public Ir let(Expr.Access target, Expr body, ReduceOp op) {
        return let(target, body, op, null);
    }

    public Ir let(Expr.Access target, Expr body, ReduceOp op, Expr where) {
        return add(target, body, op, where, false);
    }

    /** An initialization ({@code :=}); a split's outer index on the left is the recurrence's iterative rank. */
    public Ir init(Expr.Access target, Expr body) {
        return add(target, body, ReduceOp.SUM, null, true);
    }

    private TensorDecl find(String tensor) {
        for (List<TensorDecl> l : List.of(inputs, outputs, intermediates))
            for (TensorDecl t : l) if (t.name().equals(tensor)) return t;
        return null;
    }

    /** Prepends the leading batch indices that {@code a} leaves out of its tensor. */
    private Expr.Access full(Expr.Access a) {
        TensorDecl t = find(a.tensor());
        int arity = t != null ? t.arity() : a.indices().size() + (names(a).stream().anyMatch(batch::contains) ? 0 : batch.size());
        int missing = arity - a.indices().size();
        if (missing <= 0 || missing > batch.size()) return a;
        List<IndexExpr> ix = new ArrayList<>();
        for (int k = 0; k < missing; k++) ix.add(new IndexExpr.Idx(batch.get(k)));
        ix.addAll(a.indices());
        return new Expr.Access(a.tensor(), ix);
    }

    private static Set<String> names(Expr.Access a) {
        Set<String> out = new LinkedHashSet<>();
        a.indices().forEach(ix -> Exprs.collectIndices(ix, out));
        return out;
    }

    private Expr fullAll(Expr e) {
        return switch (e) {
            case Expr.Access a -> full(a);
            case Expr.Unary(Expr.Fn fn, Expr x) -> new Expr.Unary(fn, fullAll(x));
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> new Expr.Binary(op, fullAll(a), fullAll(b));
            case Expr.Select(Expr c, Expr a, Expr b) -> new Expr.Select(fullAll(c), fullAll(a), fullAll(b));
            default -> e;
        };
    }

    private Ir add(Expr.Access target0, Expr body0, ReduceOp op, Expr where0, boolean init) {
        Expr body = fullAll(body0);
        Expr where = where0 == null ? null : fullAll(where0);
        Expr.Access target = full(target0);
        Set<String> space = new LinkedHashSet<>();
        target.indices().forEach(ix -> Exprs.collectIndices(ix, space));
        Exprs.collectIndices(body, space);
        if (where != null) Exprs.collectIndices(where, space);
        Set<String> lhs = new LinkedHashSet<>();
        target.indices().forEach(ix -> Exprs.collectIndices(ix, lhs));
        List<String> reduced = space.stream().filter(i -> !lhs.contains(i)).toList();
        indices.addAll(space);
        List<Rank> ranks = new ArrayList<>();
        for (IndexExpr ix : target.indices()) {
            List<String> ids = new ArrayList<>();
            Exprs.collectIndices(ix, ids);
            String id = ids.getFirst();
            ranks.add(new Rank(id, ix.plainIndex() == null || init && splits.stream().anyMatch(s -> s.outer().equals(id))));
        }
        TensorDecl old = find(target.tensor());
        if (old == null) {
            intermediates.add(new TensorDecl(target.tensor(), ranks, DType.F32, TensorDecl.Role.INTERMEDIATE, Span.NONE));
        } else if (ranks.stream().anyMatch(Rank::iterative)) {
            for (List<TensorDecl> l : List.of(intermediates, outputs))
                for (int k = 0; k < l.size(); k++)
                    if (l.get(k).name().equals(target.tensor())) l.set(k, new TensorDecl(old.name(), ranks, old.type(), old.role(), old.span()));
        }
        Reduction r = reduced.isEmpty() ? null : new Reduction(op, reduced);
        statements.add(new Einsum(target, body, r, where, init, Span.NONE));
        return this;
    }

    public Cascade build() {
        List<IndexDef> defs = new ArrayList<>();
        for (String i : indices) {
            Split parent = splits.stream().filter(s -> s.outer().equals(i) || s.inner().equals(i)).findFirst().orElse(null);
            IndexDef.Rule rule = parent == null ? new IndexDef.Bound(i)
                    : parent.outer().equals(i) ? new IndexDef.SplitOuter(parent.parent(), parent.tile())
                    : new IndexDef.SplitInner(parent.parent(), parent.tile());
            defs.add(new IndexDef(i, rule, Span.NONE));
        }
        return new Cascade(name, batch, inputs, outputs, intermediates, params, splits, defs, statements, Span.NONE);
    }

    // --- expressions

    /** {@code T[i, j]}; an index is read by {@link #ix(String)}. */
    public static Expr.Access a(String tensor, String... ix) {
        List<IndexExpr> out = new ArrayList<>();
        for (String s : ix) out.add(ix(s));
        return new Expr.Access(tensor, out);
    }

    /** {@code T[i, j]} from index expressions (at least one, so that {@code a("S")} stays a scalar's access). */
    public static Expr.Access a(String tensor, IndexExpr first, IndexExpr... rest) {
        List<IndexExpr> out = new ArrayList<>(List.of(first));
        out.addAll(List.of(rest));
        return new Expr.Access(tensor, out);
    }

    /** {@code "m1+1"} and {@code "i-1"} are shifts, {@code "m1*M0+m0"} a split's parent, {@code "M1"} (upper case) the extent, digits a literal. */
    public static IndexExpr ix(String s) {
        if (s.endsWith("+1")) return new IndexExpr.IBin(IndexExpr.IOp.ADD, ix(s.substring(0, s.length() - 2)), new IndexExpr.Lit(1));
        if (s.endsWith("-1")) return new IndexExpr.IBin(IndexExpr.IOp.SUB, ix(s.substring(0, s.length() - 2)), new IndexExpr.Lit(1));
        if (s.contains("*")) {
            String[] parts = s.split("[*+]");
            return new IndexExpr.IBin(IndexExpr.IOp.ADD,
                    new IndexExpr.IBin(IndexExpr.IOp.MUL, ix(parts[0]), ix(parts[1])), ix(parts[2]));
        }
        if (Character.isUpperCase(s.charAt(0))) return new IndexExpr.Ext(s.toLowerCase(Locale.ROOT));
        if (Character.isDigit(s.charAt(0))) return new IndexExpr.Lit(Long.parseLong(s));
        return new IndexExpr.Idx(s);
    }

    public static Expr bin(Expr.Op op, Expr x, Expr y) {
        return new Expr.Binary(op, x, y);
    }

    public static Expr mul(Expr x, Expr y) {
        return bin(Expr.Op.MUL, x, y);
    }

    public static Expr div(Expr x, Expr y) {
        return bin(Expr.Op.DIV, x, y);
    }

    public static Expr add(Expr x, Expr y) {
        return bin(Expr.Op.ADD, x, y);
    }

    public static Expr sub(Expr x, Expr y) {
        return bin(Expr.Op.SUB, x, y);
    }

    public static Expr max(Expr x, Expr y) {
        return bin(Expr.Op.MAX, x, y);
    }

    public static Expr le(Expr x, Expr y) {
        return bin(Expr.Op.LE, x, y);
    }

    public static Expr lt(Expr x, Expr y) {
        return bin(Expr.Op.LT, x, y);
    }

    public static Expr and(Expr x, Expr y) {
        return bin(Expr.Op.AND, x, y);
    }

    public static Expr fn(Expr.Fn f, Expr x) {
        return new Expr.Unary(f, x);
    }

    public static Expr exp(Expr x) {
        return fn(Expr.Fn.EXP, x);
    }

    public static Expr select(Expr c, Expr x, Expr y) {
        return new Expr.Select(c, x, y);
    }

    public static Expr idx(String i) {
        return new Expr.IndexValue(i);
    }

    public static Expr k(double v) {
        return new Expr.Const(v);
    }

    public static Expr paramRef(String p) {
        return new Expr.ParamRef(p);
    }

    public static Expr extent(String i) {
        return new Expr.ExtentRef(i);
    }
}
