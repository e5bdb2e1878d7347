package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Code;
import einc.ir.Diagnostic;
import einc.ir.Einsum;
import einc.ir.EincException;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.Extents;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.TensorDecl;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Lowers a cascade bound with an extent of 0 into one that computes the same (docs/SEMANTICS.md,
 * absent entries) without ever reading an entry of a tensor that has none, so that loop-nest
 * backends, which keep no presence flags for unmasked tensors, agree with the interpreter.
 * A statement whose space holds an index of extent 0 has no points: its target has no present
 * entry (it is "empty"). A statement reading an empty tensor at plain indices has absent bodies:
 * a reduction gives its identity wherever points exist, an element-wise statement makes its
 * target empty too. An empty output reads as 0. What the lowering cannot express exactly
 * (an empty tensor read inside one branch of a select, in a condition or at a shifted position)
 * is an {@code unsupported} error, never a wrong answer. The rewrites of {@link Pipeline} assume
 * non-empty extents (an online softmax's running sum starts present at 0), so the lowering takes
 * the cascade as written.
 */
public final class EmptyExtents {

    private EmptyExtents() {}

    /** Whether some extent of {@code x} is 0. */
    public static boolean any(Extents x) {
        return x.values().values().stream().anyMatch(v -> v == 0);
    }

    /** {@code c} bound with extents {@code x}, lowered; {@code c} itself when no extent is 0. */
    public static Cascade lower(Cascade c, Extents x) {
        if (!any(x)) return c;
        Set<String> zero = new LinkedHashSet<>();
        x.values().forEach((k, v) -> { if (v == 0) zero.add(k); });
        Set<String> empty = new LinkedHashSet<>();
        for (TensorDecl t : c.tensors()) {
            for (Rank r : t.ranks()) if (!r.iterative() && zero.contains(r.index())) empty.add(t.name());
        }
        List<Einsum> out = new ArrayList<>();
        for (Einsum s : c.statements()) {
            TensorDecl target = c.tensorOrThrow(s.tensor());
            List<String> space = c.iterationSpace(s);
            boolean noPoints = space.stream().anyMatch(zero::contains) || readsEmptyInput(c, s, empty);
            if (noPoints) {
                if (target.isIterative() && !s.init() && !empty.contains(target.name())) {
                    List<String> emptied = space.stream().filter(zero::contains).toList();
                    if (c.iterativeIndices().containsAll(emptied) && !readsEmptyInput(c, s, empty)) continue; // a loop that runs 0 times
                    throw unsupported(s, "it steps '" + target.name() + "' over a space with no points");
                }
                empty.add(target.name());
                continue;
            }
            Expr body = absentOr(s.body(), empty, s);
            if (s.where() != null && absentOr(s.where(), empty, s) == null) throw unsupported(s, "its condition reads a tensor that has no entries");
            if (body != null) {
                out.add(new Einsum(s.target(), body, s.reduction(), s.where(), s.init(), s.span()));
                continue;
            }
            if (s.reduction() == null) {
                if (target.isIterative() && !empty.contains(target.name())) throw unsupported(s, "it steps '" + target.name() + "' from entries that are absent");
                empty.add(target.name());
                continue;
            }
            // every body is absent: the reduction's identity wherever a point exists; 0 * i keeps each index in the space
            Expr identity = new Expr.Const(s.reduceOp().identity());
            Set<String> kept = new LinkedHashSet<>(s.targetIndices());
            if (s.where() != null) Exprs.collectIndices(s.where(), kept);
            for (String i : space) {
                if (!kept.contains(i)) identity = new Expr.Binary(Expr.Op.ADD, identity, new Expr.Binary(Expr.Op.MUL, new Expr.Const(0), new Expr.IndexValue(i)));
            }
            out.add(new Einsum(s.target(), identity, s.reduction(), s.where(), s.init(), s.span()));
        }
        for (TensorDecl o : c.outputs()) {
            if (!empty.contains(o.name())) continue;
            List<IndexExpr> all = o.ranks().stream().map(r -> (IndexExpr) IndexExpr.idx(r.index())).toList();
            out.add(new Einsum(new Expr.Access(o.name(), all), new Expr.Const(0), null, null, false, o.span())); // absent reads as 0
        }
        List<TensorDecl> kept = c.intermediates().stream().filter(t -> !empty.contains(t.name())).toList();
        return c.withStatements(kept, out);
    }

    /** Whether {@code s} reads an input without entries outside the branches of a select: then no point of it exists. */
    private static boolean readsEmptyInput(Cascade c, Einsum s, Set<String> empty) {
        List<Expr.Access> reads = new ArrayList<>();
        unconditional(s.body(), reads);
        if (s.where() != null) unconditional(s.where(), reads);
        for (Expr.Access a : reads) {
            TensorDecl t = c.tensorOrThrow(a.tensor());
            if (t.role() == TensorDecl.Role.INPUT && empty.contains(t.name())) return true;
        }
        return false;
    }

    private static void unconditional(Expr e, List<Expr.Access> out) {
        switch (e) {
            case Expr.Access a -> out.add(a);
            case Expr.Unary u -> unconditional(u.x(), out);
            case Expr.Binary b -> {
                unconditional(b.a(), out);
                unconditional(b.b(), out);
            }
            case Expr.Select s -> unconditional(s.cond(), out);
            default -> {}
        }
    }

    /** {@code e}, or null when it is absent at every point because it reads an empty tensor. */
    private static Expr absentOr(Expr e, Set<String> empty, Einsum s) {
        return switch (e) {
            case Expr.Access a -> {
                if (!empty.contains(a.tensor())) yield a;
                for (IndexExpr ix : a.indices()) {
                    if (ix.plainIndex() == null && !(ix instanceof IndexExpr.Ext) && !(ix instanceof IndexExpr.Lit)) {
                        throw unsupported(s, "it reads '" + a.tensor() + "', which has no entries, at a computed position");
                    }
                }
                yield null;
            }
            case Expr.Unary u -> {
                Expr x = absentOr(u.x(), empty, s);
                yield x == null ? null : x == u.x() ? u : new Expr.Unary(u.fn(), x);
            }
            case Expr.Binary b -> {
                Expr x = absentOr(b.a(), empty, s);
                Expr y = absentOr(b.b(), empty, s);
                yield x == null || y == null ? null : x == b.a() && y == b.b() ? b : new Expr.Binary(b.op(), x, y);
            }
            case Expr.Select sel -> {
                Expr cond = absentOr(sel.cond(), empty, s);
                Expr x = absentOr(sel.a(), empty, s);
                Expr y = absentOr(sel.b(), empty, s);
                if (cond == null) throw unsupported(s, "the condition of its select reads a tensor that has no entries");
                if (x == null && y == null) yield null;
                if (x == null || y == null) throw unsupported(s, "one branch of its select reads a tensor that has no entries");
                yield x == sel.a() && y == sel.b() && cond == sel.cond() ? sel : new Expr.Select(cond, x, y);
            }
            default -> e;
        };
    }

    private static EincException unsupported(Einsum s, String why) {
        return new EincException(List.of(Diagnostic.error(s.span(), Code.UNSUPPORTED,
                "with an extent of 0 this statement cannot run on a compiled backend: " + why)
                .withHint("run it with --backend reference, which computes every case of absent entries")));
    }
}
