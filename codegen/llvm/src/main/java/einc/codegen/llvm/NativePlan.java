package einc.codegen.llvm;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the native code generator decides about a cascade before emitting anything: whether its
 * batch points are independent (then one call runs a range of them and threads split the range),
 * which tensors are total (every entry present, so no presence flags are kept or read), and which
 * accesses stay inside their tensor without a run-time check.
 */
final class NativePlan {

    final Cascade cascade;
    /** Every index in the order of the kernel's extent array. */
    final List<String> indices;
    /** Ranks whose points are independent: the outer loop runs over them and intermediates hold one point. */
    final List<String> pointRanks;
    final boolean batchOuter;
    /** Non-input tensors whose every entry is present once their statements ran. */
    final Set<String> total = new LinkedHashSet<>();
    private final Map<String, String> rep = new LinkedHashMap<>();

    NativePlan(Cascade c) {
        this.cascade = c;
        this.indices = c.indices().stream().map(IndexDef::name).toList();
        for (IndexDef d : c.indices())
            rep.put(d.name(), d.rule() instanceof IndexDef.Bound(String r) ? r : d.name());
        this.pointRanks = independentRanks(c);
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

    /** Whether rank {@code k} of {@code t} is left out of its storage: a point rank of an intermediate. */
    boolean skipped(TensorDecl t, int k) {
        return t.role() == TensorDecl.Role.INTERMEDIATE && pointRanks.contains(t.ranks().get(k).index());
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

    /**
     * The ranks whose points are independent: every non-input tensor has one plain rank of that
     * name, every access to such a tensor names the index plainly there, and every statement
     * iterates it without reducing it. A point then reads and writes only its own entries, so points
     * run in any order, on any thread, with intermediates that hold one point. The batch ranks
     * come first, then at most one more (the query rank of attention), in index order.
     */
    private static List<String> independentRanks(Cascade c) {
        List<String> out = new ArrayList<>();
        boolean extra = false;
        List<String> order = new ArrayList<>(c.batchRanks());
        for (IndexDef d : c.indices()) if (!order.contains(d.name())) order.add(d.name());
        for (String r : order) {
            boolean batch = c.batchRanks().contains(r);
            if (!batch && extra) continue;
            if (!independent(c, r)) continue;
            out.add(r);
            if (!batch) extra = true;
        }
        List<String> sorted = new ArrayList<>();
        for (IndexDef d : c.indices()) if (out.contains(d.name())) sorted.add(d.name());
        return sorted;
    }

    private static boolean independent(Cascade c, String r) {
        if (c.iterativeIndices().contains(r)) return false;
        Map<String, Integer> at = new LinkedHashMap<>();
        for (TensorDecl t : c.tensors()) {
            if (t.role() == TensorDecl.Role.INPUT) continue;
            int pos = -1;
            for (int k = 0; k < t.arity(); k++) {
                if (!t.ranks().get(k).index().equals(r)) continue;
                if (pos >= 0 || t.ranks().get(k).iterative()) return false;
                pos = k;
            }
            if (pos < 0) return false;
            at.put(t.name(), pos);
        }
        if (at.isEmpty()) return false;
        for (Einsum s : c.statements()) {
            if (!c.iterationSpace(s).contains(r) || s.reducedIndices().contains(r)) return false;
            if (!names(s.target(), r, at)) return false;
            boolean[] ok = {true};
            List<Expr> parts = new ArrayList<>(List.of(s.body()));
            if (s.where() != null) parts.add(s.where());
            for (Expr part : parts)
                Exprs.forEach(part, node -> {
                    if (node instanceof Expr.Access a && !names(a, r, at)) ok[0] = false;
                });
            if (!ok[0]) return false;
        }
        return true;
    }

    /** Whether {@code a} names {@code r} plainly at the tensor's rank {@code r} (inputs: always). */
    private static boolean names(Expr.Access a, String r, Map<String, Integer> at) {
        Integer pos = at.get(a.tensor());
        return pos == null || r.equals(a.indices().get(pos).plainIndex());
    }
}
