package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexExpr;
import einc.ir.ReduceOp;
import einc.ir.Reduction;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Deferred normalization (FuseMax §IV, 3 passes to 2): {@code T = sum_m (X / D) * Y} becomes
 * {@code TN = sum_m X * Y; T = TN / D} when {@code D} does not depend on the summed indices, so the
 * normalizer is applied once per output entry and the sum no longer waits for {@code D}. The
 * quotient may be written inline or be an intermediate {@code A[m, p] = X / D} read with plain
 * indices; {@code A} then becomes dead.
 */
public final class DeferNormalization implements Rewrite {

    @Override
    public String name() {
        return "defer-normalization";
    }

    @Override
    public String summary() {
        return "sum_m (X / D) * Y -> (sum_m X * Y) / D when D does not depend on m";
    }

    /** A quotient found among the factors of a sum: numerator and denominator in the sum's indices. */
    private record Quotient(int factor, Expr numerator, Expr denominator, String via) {}

    @Override
    public Result apply(Cascade c) {
        Set<String> taken = Rewriting.taken(c);
        List<Einsum> out = new ArrayList<>();
        List<TensorDecl> decls = new ArrayList<>(c.intermediates());
        List<String> changes = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        int deferred = 0;
        for (Einsum s : c.statements()) {
            if (s.init() || s.reduceOp() != ReduceOp.SUM || !Rewriting.plainTarget(s)) {
                out.add(s);
                continue;
            }
            List<Expr> factors = Rewriting.factors(s.body());
            Quotient q = find(c, s, factors, reasons);
            if (q == null) {
                out.add(s);
                continue;
            }
            // sum_m (X / D) * Y -> TN = sum_m X * Y ; T = TN / D
            List<Expr> numerator = new ArrayList<>(factors);
            numerator.set(q.factor, q.numerator);
            Expr body = Rewriting.product(numerator);
            Einsum probe = Rewriting.statement(s.target(), body, s.reduction(), s.where());
            Set<String> reducedNow = new LinkedHashSet<>(probe.space());
            reducedNow.removeAll(s.targetIndices());
            if (!reducedNow.equals(new LinkedHashSet<>(s.reducedIndices()))) {
                reasons.add(s.tensor() + ": without the quotient the sum would no longer run over " + s.reducedIndices());
                out.add(s);
                continue;
            }
            TensorDecl t = c.tensorOrThrow(s.tensor());
            String tn = Rewriting.fresh(s.tensor() + "N", taken);
            decls.add(Rewriting.intermediate(tn, t.ranks(), DType.F32));
            Expr.Access tnAccess = Rewriting.access(tn, s.target().indices());
            out.add(Rewriting.statement(tnAccess, body, new Reduction(ReduceOp.SUM, reducedOrder(probe, s)), s.where()));
            Expr quotient = Rewriting.div(tnAccess, q.denominator);
            // an empty sum was 0 before; keep it 0 rather than 0 / 0 where masks or shifts can empty a row.
            // A positive weight (exp, softplus, sigmoid) sums to 0 only over no point, so D == 0 tells an
            // emptied row; any other may sum to 0 over present points, where the quotient was 0 / 0 = NaN
            // before: there a count of the sum's present points tells the two apart
            if (mayBeEmpty(c, s)) {
                Expr empty;
                if (positive(c, q.numerator)) {
                    empty = new Expr.Binary(Expr.Op.EQ, q.denominator, new Expr.Const(0));
                } else {
                    String tc = Rewriting.fresh(s.tensor() + "C", taken);
                    decls.add(Rewriting.intermediate(tc, t.ranks(), DType.F32));
                    Expr.Access tcAccess = Rewriting.access(tc, s.target().indices());
                    // 1 at every point where the sum's term is present (select is absent where its condition is)
                    Expr one = new Expr.Select(new Expr.Binary(Expr.Op.EQ, body, body), new Expr.Const(1), new Expr.Const(1));
                    out.add(Rewriting.statement(tcAccess, one, new Reduction(ReduceOp.SUM, reducedOrder(probe, s)), s.where()));
                    empty = new Expr.Binary(Expr.Op.EQ, tcAccess, new Expr.Const(0));
                }
                quotient = new Expr.Select(empty, new Expr.Const(0), quotient);
            }
            out.add(Rewriting.statement(s.target(), quotient, null, null));
            deferred++;
            changes.add(s.tensor() + ": the division by " + describe(q.denominator) + q.via + " moved out of the sum over "
                    + String.join(", ", s.reducedIndices()) + " (the sum is now " + tn + ")");
        }
        if (deferred == 0)
            return Result.notApplicable(c, reasons.isEmpty() ? "no sum has a quotient among its factors" : String.join("; ", reasons));
        Map<String, Integer> counters = new LinkedHashMap<>();
        counters.put("deferred", deferred);
        return Result.changed(c.withStatements(decls, out), counters, changes);
    }

    /** The first quotient factor whose denominator does not depend on the reduced indices, or null (with reasons). */
    private static Quotient find(Cascade c, Einsum s, List<Expr> factors, List<String> reasons) {
        Set<String> reduced = new LinkedHashSet<>(s.reducedIndices());
        for (int i = 0; i < factors.size(); i++) {
            Expr f = factors.get(i);
            Expr num = null, den = null;
            String via = "";
            if (f instanceof Expr.Binary(Expr.Op op, Expr a, Expr b) && op == Expr.Op.DIV) {
                num = a;
                den = b;
            } else if (f instanceof Expr.Access a && inlinable(c, a) instanceof Einsum def
                    && def.body() instanceof Expr.Binary(Expr.Op op, Expr x, Expr d) && op == Expr.Op.DIV) {
                Map<String, IndexExpr> rename = new LinkedHashMap<>();
                List<String> vars = Rewriting.targetNames(def);
                for (int k = 0; k < vars.size(); k++) rename.put(vars.get(k), a.indices().get(k));
                num = Rewriting.substitute(x, rename);
                den = Rewriting.substitute(d, rename);
                via = " (from " + a.tensor() + ")";
            }
            if (den == null) continue;
            Set<String> depends = new LinkedHashSet<>(Exprs.indices(den));
            depends.retainAll(reduced);
            if (!depends.isEmpty()) {
                reasons.add(s.tensor() + ": " + describe(den) + " depends on " + String.join(", ", depends));
                continue;
            }
            return new Quotient(i, num, den, via);
        }
        return null;
    }

    /**
     * The definition of the intermediate {@code a} reads, when it can be inlined at {@code a}: a
     * statement with no reduction, no condition and a plain target, read with distinct plain indices.
     */
    private static Einsum inlinable(Cascade c, Expr.Access a) {
        TensorDecl t = c.tensor(a.tensor()).orElse(null);
        if (t == null || t.role() == TensorDecl.Role.INPUT || t.isIterative()) return null;
        Einsum def = c.definition(a.tensor()).orElse(null);
        if (def == null || def.reduction() != null || def.where() != null || !Rewriting.plainTarget(def)) return null;
        Set<String> seen = new LinkedHashSet<>();
        for (IndexExpr ix : a.indices()) if (ix.plainIndex() == null || !seen.add(ix.plainIndex())) return null;
        return def;
    }

    /**
     * Whether a sum entry of {@code s} may have no present term: some statement it depends on (or
     * itself) has a condition or reads at a position other than a plain index.
     */
    static boolean mayBeEmpty(Cascade c, Einsum s) {
        List<Einsum> work = new ArrayList<>(List.of(s));
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < work.size(); i++) {
            Einsum x = work.get(i);
            if (x.where() != null) return true;
            for (Expr.Access a : Rewriting.accesses(x)) {
                if (a.indices().stream().anyMatch(ix -> ix.plainIndex() == null)) return true;
                if (seen.add(a.tensor())) c.definition(a.tensor()).ifPresent(work::add);
            }
        }
        return false;
    }

    /** Whether {@code e} is positive wherever it is a number: exp, softplus or sigmoid of anything, read inline or through an intermediate. */
    static boolean positive(Cascade c, Expr e) {
        if (e instanceof Expr.Access a && inlinable(c, a) instanceof Einsum def) return positive(c, def.body());
        return Exprs.isPositiveFunction(e);
    }

    private static List<String> reducedOrder(Einsum probe, Einsum original) {
        List<String> order = new ArrayList<>(probe.space());
        order.retainAll(original.reducedIndices());
        return order;
    }

    static String describe(Expr e) {
        return e instanceof Expr.Access a ? a.tensor() : "the denominator";
    }
}
