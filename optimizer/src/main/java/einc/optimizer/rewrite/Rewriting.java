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
import einc.ir.Span;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Small IR operations the rewrites share: substitution, products, fresh names, readers. */
final class Rewriting {

    private Rewriting() {}

    // --- building expressions

    static Expr mul(Expr a, Expr b) {
        return new Expr.Binary(Expr.Op.MUL, a, b);
    }

    static Expr div(Expr a, Expr b) {
        return new Expr.Binary(Expr.Op.DIV, a, b);
    }

    static Expr add(Expr a, Expr b) {
        return new Expr.Binary(Expr.Op.ADD, a, b);
    }

    static Expr sub(Expr a, Expr b) {
        return new Expr.Binary(Expr.Op.SUB, a, b);
    }

    static Expr exp(Expr a) {
        return new Expr.Unary(Expr.Fn.EXP, a);
    }

    static Expr and(Expr a, Expr b) {
        return a == null ? b : b == null ? a : new Expr.Binary(Expr.Op.AND, a, b);
    }

    static Expr.Access access(String tensor, List<IndexExpr> indices) {
        return new Expr.Access(tensor, indices);
    }

    static List<IndexExpr> plain(List<String> indices) {
        return indices.stream().map(i -> (IndexExpr) new IndexExpr.Idx(i)).toList();
    }

    /** {@code outer * OUTER_INNER_EXTENT + inner}: the position a split index stands for. */
    static IndexExpr splitPosition(String outer, String inner) {
        return new IndexExpr.IBin(IndexExpr.IOp.ADD,
                new IndexExpr.IBin(IndexExpr.IOp.MUL, new IndexExpr.Idx(outer), new IndexExpr.Ext(inner)),
                new IndexExpr.Idx(inner));
    }

    static IndexExpr plus1(String index) {
        return new IndexExpr.IBin(IndexExpr.IOp.ADD, new IndexExpr.Idx(index), new IndexExpr.Lit(1));
    }

    // --- products

    /** The factors of a product tree {@code a * b * c}; a single non-product is one factor. */
    static List<Expr> factors(Expr e) {
        List<Expr> out = new ArrayList<>();
        Exprs.collectOperands(e, Expr.Op.MUL, out);
        return out;
    }

    /** The product of {@code factors}, left-associated; 1 when empty. */
    static Expr product(List<Expr> factors) {
        if (factors.isEmpty()) return new Expr.Const(1);
        Expr out = factors.getFirst();
        for (int i = 1; i < factors.size(); i++) out = mul(out, factors.get(i));
        return out;
    }

    // --- substitution

    /** Rebuilds {@code e} bottom-up, applying {@code f} to every node after its children. */
    static Expr map(Expr e, UnaryOperator<Expr> f) {
        Expr rebuilt = switch (e) {
            case Expr.Unary(Expr.Fn fn, Expr x) -> {
                Expr nx = map(x, f);
                yield nx == x ? e : new Expr.Unary(fn, nx);
            }
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> {
                Expr na = map(a, f), nb = map(b, f);
                yield na == a && nb == b ? e : new Expr.Binary(op, na, nb);
            }
            case Expr.Select(Expr c, Expr a, Expr b) -> {
                Expr nc = map(c, f), na = map(a, f), nb = map(b, f);
                yield nc == c && na == a && nb == b ? e : new Expr.Select(nc, na, nb);
            }
            default -> e;
        };
        return f.apply(rebuilt);
    }

    /** Replaces index variables by expressions, in accesses and where indices are used as values. */
    static Expr substitute(Expr e, Map<String, IndexExpr> sub) {
        if (e == null || sub.isEmpty()) return e;
        return map(e, node -> switch (node) {
            case Expr.Access a -> new Expr.Access(a.tensor(), a.indices().stream().map(ix -> substitute(ix, sub)).toList());
            case Expr.IndexValue(String n) -> sub.containsKey(n) ? value(sub.get(n)) : node;
            default -> node;
        });
    }

    static IndexExpr substitute(IndexExpr e, Map<String, IndexExpr> sub) {
        return switch (e) {
            case IndexExpr.Idx(String n) -> sub.getOrDefault(n, e);
            case IndexExpr.Ext x -> e;
            case IndexExpr.Lit l -> e;
            case IndexExpr.INeg(IndexExpr a) -> new IndexExpr.INeg(substitute(a, sub));
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> new IndexExpr.IBin(op, substitute(a, sub), substitute(b, sub));
        };
    }

    static Einsum substitute(Einsum s, Map<String, IndexExpr> sub) {
        return new Einsum(new Expr.Access(s.tensor(), s.target().indices().stream().map(ix -> substitute(ix, sub)).toList()),
                substitute(s.body(), sub), s.reduction(), substitute(s.where(), sub), s.init(), s.span());
    }

    /** An index expression as a number ({@code m1 * M0 + m0} as a value); floor division and modulo have no value form. */
    static Expr value(IndexExpr e) {
        return switch (e) {
            case IndexExpr.Idx(String n) -> new Expr.IndexValue(n);
            case IndexExpr.Ext(String n) -> new Expr.ExtentRef(n);
            case IndexExpr.Lit(long v) -> new Expr.Const(v);
            case IndexExpr.INeg(IndexExpr a) -> new Expr.Unary(Expr.Fn.NEG, value(a));
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> switch (op) {
                case ADD -> add(value(a), value(b));
                case SUB -> sub(value(a), value(b));
                case MUL -> mul(value(a), value(b));
                case DIV, MOD -> throw new IllegalArgumentException("no value form for " + e);
            };
        };
    }

    /** Replaces every access to a tensor in {@code renames} by an access built by the function. */
    static Expr replaceAccesses(Expr e, java.util.function.Function<Expr.Access, Expr> f) {
        if (e == null) return null;
        return map(e, node -> node instanceof Expr.Access a ? f.apply(a) : node);
    }

    // --- queries

    /** Every tensor {@code s} reads, in its body and in its condition. */
    static Set<String> reads(Einsum s) {
        Set<String> out = new LinkedHashSet<>(Exprs.tensorsRead(s.body()));
        if (s.where() != null) out.addAll(Exprs.tensorsRead(s.where()));
        // a target position never reads a tensor
        return out;
    }

    /** Every access in {@code s} (body then condition). */
    static List<Expr.Access> accesses(Einsum s) {
        List<Expr.Access> out = new ArrayList<>();
        Exprs.forEach(s.body(), n -> { if (n instanceof Expr.Access a) out.add(a); });
        if (s.where() != null) Exprs.forEach(s.where(), n -> { if (n instanceof Expr.Access a) out.add(a); });
        return out;
    }

    static List<Expr.Access> accesses(Expr e, String tensor) {
        List<Expr.Access> out = new ArrayList<>();
        if (e != null) Exprs.forEach(e, n -> { if (n instanceof Expr.Access a && a.tensor().equals(tensor)) out.add(a); });
        return out;
    }

    static boolean mentions(Expr e, String tensor) {
        return e != null && Exprs.tensorsRead(e).contains(tensor);
    }

    static boolean mentionsIndex(IndexExpr e, String index) {
        Set<String> out = new LinkedHashSet<>();
        Exprs.collectIndices(e, out);
        return out.contains(index);
    }

    static Set<String> indices(Collection<IndexExpr> ixs) {
        Set<String> out = new LinkedHashSet<>();
        for (IndexExpr ix : ixs) Exprs.collectIndices(ix, out);
        return out;
    }

    /** Whether the target of {@code s} is distinct plain indices (no {@code r + 1}, no repeats). */
    static boolean plainTarget(Einsum s) {
        Set<String> seen = new LinkedHashSet<>();
        for (IndexExpr ix : s.target().indices()) {
            String n = ix.plainIndex();
            if (n == null || !seen.add(n)) return false;
        }
        return true;
    }

    static List<String> targetNames(Einsum s) {
        return s.target().indices().stream().map(IndexExpr::plainIndex).toList();
    }

    /**
     * The ranks of a new tensor as the frontend would declare them: with the batch ranks in front
     * when it names none of them (docs/SEMANTICS.md), so the printed cascade parses back to itself.
     */
    static List<String> withBatch(Cascade c, List<String> ranks) {
        if (c.batchRanks().isEmpty() || ranks.stream().anyMatch(c.batchRanks()::contains)) return ranks;
        List<String> out = new ArrayList<>(c.batchRanks());
        out.addAll(ranks);
        return out;
    }

    // --- declarations and names

    /** Every name a new tensor or index must avoid: tensors, params, indices and extent names. */
    static Set<String> taken(Cascade c) {
        Set<String> out = new LinkedHashSet<>();
        for (TensorDecl t : c.tensors()) out.add(t.name());
        for (Param p : c.params()) out.add(p.name());
        for (IndexDef d : c.indices()) {
            out.add(d.name());
            out.add(IndexDef.extentName(d.name()));
        }
        return out;
    }

    /** {@code base}, or {@code base2}, {@code base3}... whichever is not in {@code taken}; adds it. */
    static String fresh(String base, Set<String> taken) {
        String name = base;
        for (int i = 2; taken.contains(name); i++) name = base + i;
        taken.add(name);
        return name;
    }

    /** A new index name: neither it nor its extent name is taken; adds both. */
    static String freshIndex(String base, Set<String> taken) {
        String name = base;
        for (int i = 2; taken.contains(name) || taken.contains(IndexDef.extentName(name)); i++) name = base + "_" + i;
        taken.add(name);
        taken.add(IndexDef.extentName(name));
        return name;
    }

    static TensorDecl intermediate(String name, List<Rank> ranks, DType type) {
        return new TensorDecl(name, ranks, type, TensorDecl.Role.INTERMEDIATE, Span.NONE);
    }

    static Einsum statement(Expr.Access target, Expr body, einc.ir.Reduction reduction, Expr where) {
        return new Einsum(target, body, reduction, where, false, Span.NONE);
    }
}
