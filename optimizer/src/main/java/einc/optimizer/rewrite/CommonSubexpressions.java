package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Reduction;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges statements that compute the same thing: equal up to the names of their indices (and over
 * indices of the same extents), the later one is dropped and its readers read the earlier one.
 */
public final class CommonSubexpressions implements Rewrite {

    @Override
    public String name() {
        return "common-subexpressions";
    }

    @Override
    public String summary() {
        return "merge statements that compute the same values";
    }

    /** A statement with its indices renamed to {@code _0, _1, ...} in order of appearance, and the extent class of each. */
    private record Key(Expr.Access target, Expr body, Reduction reduction, Expr where, List<String> classes) {}

    @Override
    public Result apply(Cascade c) {
        Map<Key, String> seen = new LinkedHashMap<>();
        Map<String, String> replaced = new LinkedHashMap<>();
        List<Einsum> out = new ArrayList<>();
        for (Einsum s0 : c.statements()) {
            Einsum s = rename(s0, replaced);
            TensorDecl t = c.tensorOrThrow(s.tensor());
            if (s.init() || t.isIterative() || !Rewriting.plainTarget(s)) {
                out.add(s);
                continue;
            }
            Key key = key(c, s);
            String earlier = seen.get(key);
            if (earlier != null && t.role() == TensorDecl.Role.INTERMEDIATE && c.tensorOrThrow(earlier).type() == t.type()) {
                replaced.put(s.tensor(), earlier);
                continue;
            }
            seen.putIfAbsent(key, s.tensor());
            out.add(s);
        }
        if (replaced.isEmpty()) return Result.notApplicable(c, "no two statements compute the same values");
        List<TensorDecl> decls = c.intermediates().stream().filter(d -> !replaced.containsKey(d.name())).toList();
        List<String> changes = new ArrayList<>();
        replaced.forEach((a, b) -> changes.add(a + " is " + b + ": its readers read " + b));
        Map<String, Integer> counters = new LinkedHashMap<>();
        counters.put("merged", replaced.size());
        return Result.changed(c.withStatements(decls, out), counters, changes);
    }

    private static Einsum rename(Einsum s, Map<String, String> replaced) {
        if (replaced.isEmpty()) return s;
        java.util.function.Function<Expr.Access, Expr> f = a -> replaced.containsKey(a.tensor()) ? new Expr.Access(replaced.get(a.tensor()), a.indices()) : a;
        return new Einsum(s.target(), Rewriting.replaceAccesses(s.body(), f), s.reduction(), Rewriting.replaceAccesses(s.where(), f), s.init(), s.span());
    }

    private static Key key(Cascade c, Einsum s) {
        Map<String, IndexExpr> canon = new LinkedHashMap<>();
        List<String> classes = new ArrayList<>();
        for (String ix : s.space()) {
            canon.put(ix, new IndexExpr.Idx("_" + canon.size()));
            classes.add(c.index(ix).map(CommonSubexpressions::extentClass).orElse(ix));
        }
        Einsum r = Rewriting.substitute(s, canon);
        Reduction red = s.reduction() == null ? null
                : new Reduction(s.reduceOp(), s.reducedIndices().stream().map(i -> ((IndexExpr.Idx) canon.get(i)).name()).sorted().toList());
        return new Key(new Expr.Access("", r.target().indices()), r.body(), red, r.where(), classes);
    }

    private static String extentClass(IndexDef d) {
        return switch (d.rule()) {
            case IndexDef.Bound(String rep) -> rep;
            case IndexDef.SplitOuter o -> d.name();
            case IndexDef.SplitInner i -> d.name();
        };
    }
}
