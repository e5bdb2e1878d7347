package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexExpr;
import einc.ir.Rank;
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
 * Reassociation for linear attention (Katharopoulos et al. 2020): {@code T = sum_m S * Y} with
 * {@code S = sum_e A * B} a product with no non-linear step becomes one sum of products, which is
 * then contracted in the cheaper order: first over {@code m} the factors that hold it
 * ({@code KV[e, f] = sum_m phi(K)[m, e] V[m, f]}), then the rest ({@code sum_e phi(Q)[p, e] KV[e, f]}),
 * O(P·E·F + M·E·F) instead of O(P·M·E). No statement then iterates both p and m.
 */
public final class Reassociate implements Rewrite {

    @Override
    public String name() {
        return "reassociate";
    }

    @Override
    public String summary() {
        return "(phi(Q) phi(K)) V -> phi(Q) (phi(K) V) when no non-linear step sits between";
    }

    /** Why a sum cannot be reassociated. */
    private static final class NotApplicable extends Exception {
        NotApplicable(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public Result apply(Cascade c) {
        Set<String> taken = Rewriting.taken(c);
        List<Einsum> out = new ArrayList<>();
        List<TensorDecl> decls = new ArrayList<>(c.intermediates());
        List<String> changes = new ArrayList<>(), reasons = new ArrayList<>();
        for (Einsum t : c.statements()) {
            if (t.init() || t.reduceOp() != ReduceOp.SUM || !Rewriting.plainTarget(t)) {
                out.add(t);
                continue;
            }
            try {
                List<Einsum> two = reassociate(c, t, taken, decls);
                out.addAll(two);
                changes.add(t.tensor() + ": sum over " + String.join(", ", t.reducedIndices()) + " of a sum of products, now "
                        + two.getFirst().tensor() + " first (" + String.join(", ", two.getFirst().reducedIndices())
                        + ") then " + t.tensor() + " over " + (two.get(1).reduction() == null ? "nothing" : String.join(", ", two.get(1).reducedIndices())));
            } catch (NotApplicable why) {
                if (why.getMessage() != null) reasons.add(t.tensor() + ": " + why.getMessage());
                out.add(t);
            }
        }
        if (changes.isEmpty())
            return Result.notApplicable(c, reasons.isEmpty() ? "no sum reads a sum of products" : String.join("; ", reasons));
        Map<String, Integer> counters = new LinkedHashMap<>();
        counters.put("reassociated", changes.size());
        return Result.changed(c.withStatements(decls, out), counters, changes);
    }

    /** The inner and outer statements that replace {@code t}, or why not (a null message: nothing to report). */
    private static List<Einsum> reassociate(Cascade c, Einsum t, Set<String> taken, List<TensorDecl> decls) throws NotApplicable {
        List<Expr> factors = Rewriting.factors(t.body());
        int at = -1;
        Einsum s = null;
        for (int i = 0; i < factors.size() && s == null; i++) {
            if (!(factors.get(i) instanceof Expr.Access a)) continue;
            Einsum def = c.definition(a.tensor()).orElse(null);
            TensorDecl d = c.tensor(a.tensor()).orElse(null);
            if (def == null || d == null || d.role() != TensorDecl.Role.INTERMEDIATE || d.isIterative() || def.reduceOp() != ReduceOp.SUM) continue;
            if (!Rewriting.plainTarget(def)) continue;
            if (def.where() != null) throw new NotApplicable(a.tensor() + " is masked (a prefix sum: prefix-to-recurrence)");
            for (Expr f : Rewriting.factors(def.body()))
                if (!linear(f)) throw new NotApplicable(a.tensor() + " applies a non-linear step (" + einc.ir.Printer.print(f) + ") before the sum");
            Set<String> seen = new LinkedHashSet<>();
            for (IndexExpr ix : a.indices()) if (ix.plainIndex() == null || !seen.add(ix.plainIndex())) throw new NotApplicable(a.tensor() + " is read at shifted positions");
            s = def;
            at = i;
        }
        if (s == null) throw new NotApplicable(null);
        if (t.where() != null) throw new NotApplicable("it is masked");
        if (Rewriting.mentions(t.body(), s.tensor()) && Rewriting.accesses(t.body(), s.tensor()).size() > 1)
            throw new NotApplicable("it reads " + s.tensor() + " twice");
        // inline S: its target indices become the access's, its reduced indices fresh ones
        Expr.Access sa = (Expr.Access) factors.get(at);
        Set<String> used = new LinkedHashSet<>(t.space());
        Map<String, IndexExpr> rename = new LinkedHashMap<>();
        List<String> sVars = Rewriting.targetNames(s);
        for (int k = 0; k < sVars.size(); k++) rename.put(sVars.get(k), sa.indices().get(k));
        List<String> inner = new ArrayList<>();
        for (String e : s.reducedIndices()) {
            String n = e;
            for (int k = 2; used.contains(n); k++) n = e + k;
            if (!n.equals(e)) throw new NotApplicable("index " + e + " of " + s.tensor() + " is also an index of the sum");
            used.add(n);
            rename.put(e, new IndexExpr.Idx(n));
            inner.add(n);
        }
        List<Expr> all = new ArrayList<>(factors);
        all.remove(at);
        for (Expr f : Rewriting.factors(s.body())) all.add(Rewriting.substitute(f, rename));
        Set<String> target = new LinkedHashSet<>(t.targetIndices());
        // contract first over an index m of the sum whose factors leave out some target index
        for (String m : t.reducedIndices()) {
            if (!sVars.isEmpty() && !Exprs.indices(sa).contains(m)) continue;
            List<Expr> in = new ArrayList<>(), rest = new ArrayList<>();
            for (Expr f : all) (Exprs.indices(f).contains(m) ? in : rest).add(f);
            if (rest.isEmpty()) continue;
            Set<String> inIx = indicesOf(in), restIx = indicesOf(rest);
            restIx.addAll(target);
            if (inIx.containsAll(target)) continue; // no target index left out: no saving
            List<String> free = new ArrayList<>(), reduced = new ArrayList<>();
            for (String ix : inIx) (restIx.contains(ix) ? free : reduced).add(ix);
            free = Rewriting.withBatch(c, free);
            List<Rank> ranks = free.stream().map(Rank::of).toList();
            String base = String.join("", in.stream().filter(f -> f instanceof Expr.Access).map(f -> ((Expr.Access) f).tensor()).toList());
            String name = Rewriting.fresh(base.isEmpty() || taken.contains(base) ? base + "S" : base, taken);
            Expr.Access ia = Rewriting.access(name, Rewriting.plain(free));
            Einsum first = Rewriting.statement(ia, Rewriting.product(in), new Reduction(ReduceOp.SUM, reduced), null);
            List<Expr> outer = new ArrayList<>(rest);
            outer.add(ia);
            Expr body = Rewriting.product(outer);
            Einsum probe = Rewriting.statement(t.target(), body, null, null);
            List<String> outerReduced = new ArrayList<>(probe.space());
            outerReduced.removeAll(target);
            Einsum second = Rewriting.statement(t.target(), body, outerReduced.isEmpty() ? null : new Reduction(ReduceOp.SUM, outerReduced), null);
            double before = cost(c, s) + cost(c, t), after = cost(c, first) + cost(c, second);
            if (after >= before) {
                taken.remove(name);
                throw new NotApplicable("already contracted in the cheaper order (" + s.tensor() + " first: "
                        + String.format(java.util.Locale.ROOT, "%.3g", before) + " against " + String.format(java.util.Locale.ROOT, "%.3g", after)
                        + " multiply-adds at " + REPRESENTATIVE + ")");
            }
            decls.add(Rewriting.intermediate(name, ranks, DType.F32));
            return List.of(first, second);
        }
        throw new NotApplicable("every order of the sum keeps all of " + target + " with " + String.join(", ", t.reducedIndices()));
    }

    /** The shape the two orders are compared at, the extents being unknown when the plan is made. */
    static final String REPRESENTATIVE = "sequence ranks 4096, feature ranks 64";

    /**
     * The multiply-adds of {@code s} at a representative attention shape: a rank that is the last
     * (contiguous) rank of an input is a feature rank (64, like a head dimension), any other a
     * sequence rank (4096); batch ranks are left out, the same on both sides.
     */
    private static double cost(Cascade c, Einsum s) {
        Set<String> features = new LinkedHashSet<>();
        for (TensorDecl in : c.inputs()) if (in.arity() > 0) features.add(in.ranks().getLast().index());
        double n = 1;
        for (String ix : s.space()) {
            if (c.batchRanks().contains(ix)) continue;
            n *= features.contains(ix) ? 64 : 4096;
        }
        return n;
    }

    /** A factor with no non-linear step: an access, a constant, a parameter or an extent. */
    private static boolean linear(Expr f) {
        return switch (f) {
            case Expr.Access a -> true;
            case Expr.Const k -> true;
            case Expr.ParamRef p -> true;
            case Expr.ExtentRef x -> true;
            default -> false;
        };
    }

    private static Set<String> indicesOf(List<Expr> fs) {
        Set<String> out = new LinkedHashSet<>();
        for (Expr f : fs) out.addAll(Exprs.indices(f));
        return out;
    }
}
