package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.TensorDecl;
import einc.optimizer.Schedule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the native code generator decides about a cascade before emitting anything: whether its
 * batch points are independent (then one call runs a range of them and threads split the range),
 * which loop nests it runs ({@link Schedule}) and which intermediates hold one outer point of theirs,
 * which tensors are total (every entry present, so no presence flags are kept or read), and which
 * accesses stay inside their tensor without a run-time check.
 */
final class NativePlan {

    final Cascade cascade;
    /** Every index in the order of the kernel's extent array. */
    final List<String> indices;
    /**
     * Ranks whose points threads split: the schedule's independent batch ranks, then the outer
     * rank of the only nest when there is one. The outermost loop runs over them, {@code [lo, hi)}.
     */
    final List<String> pointRanks;
    final boolean batchOuter;
    /** The loop nests the kernel runs, in order ({@link Schedule}): one outer loop per nest. */
    final Schedule schedule;
    /** Non-input tensors whose every entry is present once their statements ran. */
    final Set<String> total = new LinkedHashSet<>();
    private final Map<String, String> rep = new LinkedHashMap<>();

    NativePlan(Cascade c) {
        this.cascade = c;
        this.indices = c.indices().stream().map(IndexDef::name).toList();
        for (IndexDef d : c.indices())
            rep.put(d.name(), d.rule() instanceof IndexDef.Bound(String r) ? r : d.name());
        this.schedule = Schedule.of(c);
        this.pointRanks = threadRanks(schedule);
        this.batchOuter = !pointRanks.isEmpty();
        findTotal();
    }

    String rep(String index) {
        return rep.getOrDefault(index, index);
    }

    int slot(String index) {
        int i = indices.indexOf(index);
        if (i < 0) throw new IllegalStateException("index '" + index + "' is not declared in " + cascade.name());
        return i;
    }

    /**
     * Whether rank {@code k} of {@code t} is left out of its storage: a point rank of an
     * intermediate, or an outer rank of its nest for an intermediate local to one nest.
     */
    boolean skipped(TensorDecl t, int k) {
        if (t.role() != TensorDecl.Role.INTERMEDIATE) return false;
        if (pointRanks.contains(t.ranks().get(k).index())) return true;
        Schedule.Local l = schedule.local().get(t.name());
        return l != null && l.positions().contains(k);
    }

    /** Whether the outer loop of {@code nest} is the point loop itself (its rank is a point rank). */
    boolean folded(Schedule.Nest nest) {
        return !nest.outer().isEmpty() && pointRanks.containsAll(nest.outer());
    }

    /**
     * The batch ranks threads may split, then the outer rank of a cascade that is one nest: its
     * points are independent too (every tensor the nest writes is touched at one outer point).
     */
    private static List<String> threadRanks(Schedule s) {
        List<String> out = new ArrayList<>(s.independent());
        if (s.nests().size() == 1) out.addAll(s.nests().getFirst().outer());
        return List.copyOf(out);
    }

    boolean tracksPresence(TensorDecl t) {
        return t.role() != TensorDecl.Role.INPUT && !total.contains(t.name());
    }

    /**
     * Whether position {@code pos} always lies inside rank {@code r}: a plain index of the rank's
     * extent class, or at an iterative rank also {@code i + 1} and the extent itself.
     */
    boolean alwaysInRange(IndexExpr pos, Rank r) {
        String want = rep(r.index());
        if (pos instanceof IndexExpr.Idx(String i)) return rep(i).equals(want);
        if (!r.iterative()) return false;
        if (pos instanceof IndexExpr.Ext(String i)) return rep(i).equals(want);
        return pos instanceof IndexExpr.IBin(IndexExpr.IOp op, IndexExpr.Idx(String i), IndexExpr.Lit(long one))
                && op == IndexExpr.IOp.ADD && one == 1 && rep(i).equals(want);
    }

    /** Whether every access of {@code e} is in range and reads a present entry, for any point. */
    boolean neverAbsent(Expr e, String self) {
        boolean[] ok = {true};
        Exprs.forEach(e, node -> {
            if (node instanceof Expr.Access a) {
                TensorDecl t = cascade.tensorOrThrow(a.tensor());
                if (t.role() != TensorDecl.Role.INPUT && !total.contains(t.name()) && !t.name().equals(self)) ok[0] = false;
                for (int k = 0; k < t.arity(); k++)
                    if (!alwaysInRange(a.indices().get(k), t.ranks().get(k))) ok[0] = false;
            }
        });
        return ok[0];
    }

    /** Whether the target of {@code s} names every entry of its tensor exactly (plain indices of matching classes). */
    private boolean covers(Einsum s, TensorDecl t) {
        Set<String> seen = new LinkedHashSet<>();
        for (int k = 0; k < t.arity(); k++) {
            Rank r = t.ranks().get(k);
            IndexExpr pos = s.target().indices().get(k);
            if (r.iterative()) {
                if (s.init()) continue; // fixed to 0
                if (!(pos instanceof IndexExpr.IBin(IndexExpr.IOp op, IndexExpr.Idx(String i), IndexExpr.Lit(long one))
                        && op == IndexExpr.IOp.ADD && one == 1 && rep(i).equals(rep(r.index())))) return false;
                seen.add(i);
                continue;
            }
            if (!(pos instanceof IndexExpr.Idx(String i)) || !rep(i).equals(rep(r.index())) || !seen.add(i)) return false;
        }
        return true;
    }

    private void findTotal() {
        Map<String, List<Einsum>> defs = new LinkedHashMap<>();
        for (Einsum s : cascade.statements()) defs.computeIfAbsent(s.tensor(), k -> new ArrayList<>()).add(s);
        for (Einsum s : cascade.statements()) {
            String name = s.tensor();
            if (total.contains(name)) continue;
            TensorDecl t = cascade.tensorOrThrow(name);
            List<Einsum> mine = defs.get(name);
            if (mine.getLast() != s) continue; // decide once every statement of the tensor is seen
            boolean ok;
            if (t.isIterative()) {
                ok = mine.size() == 2 && mine.get(0).init() && !mine.get(1).init();
            } else {
                ok = mine.size() == 1 && !s.init();
            }
            for (Einsum d : mine) ok &= d.where() == null && covers(d, t) && neverAbsent(d.body(), name);
            if (ok) total.add(name);
        }
    }
}
