package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A conservative analysis of which tensors may hold absent entries (docs/SEMANTICS.md): those
 * written under a {@code where}, through an access that may fall outside its tensor, at positions
 * that may not cover the tensor (iterative ranks, index expressions), or element-wise from a
 * tensor that may hold absent entries. Everything else is provably dense and needs no flags.
 */
final class Presence {

    private Presence() {}

    static Set<String> tracked(Cascade c) {
        Set<String> out = new LinkedHashSet<>();
        for (Einsum s : c.statements()) {
            TensorDecl t = c.tensorOrThrow(s.tensor());
            if (mayLeaveAbsent(c, s, t, out)) out.add(s.tensor());
        }
        return out;
    }

    private static boolean mayLeaveAbsent(Cascade c, Einsum s, TensorDecl t, Set<String> tracked) {
        if (t.isIterative() || s.init()) return true;
        if (s.where() != null) return true;
        for (int k = 0; k < t.arity(); k++) {
            String ix = s.target().indices().get(k).plainIndex();
            if (ix == null || !rep(c, ix).equals(rep(c, t.ranks().get(k).index()))) return true;
        }
        List<Expr.Access> reads = new ArrayList<>();
        Exprs.forEach(s.body(), e -> { if (e instanceof Expr.Access a) reads.add(a); });
        for (Expr.Access a : reads) if (mayFallOutside(c, a)) return true;
        if (s.reduction() == null)
            for (Expr.Access a : reads) if (tracked.contains(a.tensor())) return true;
        return false;
    }

    /** Whether some position of {@code a} may fall outside its tensor's extent at that rank. */
    static boolean mayFallOutside(Cascade c, Expr.Access a) {
        TensorDecl t = c.tensorOrThrow(a.tensor());
        for (int k = 0; k < t.arity(); k++) if (!inRange(c, a.indices().get(k), t, k)) return true;
        return false;
    }

    /** Whether position {@code ix} at rank {@code k} of {@code t} is in range for every value of its indices. */
    static boolean inRange(Cascade c, IndexExpr ix, TensorDecl t, int k) {
        String plain = ix.plainIndex();
        return plain != null && rep(c, plain).equals(rep(c, t.ranks().get(k).index()));
    }

    static String rep(Cascade c, String index) {
        return c.index(index).map(d -> d.rule() instanceof IndexDef.Bound(String r) ? r : index).orElse(index);
    }
}
