package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.TensorDecl;
import einc.optimizer.Schedule;
import einc.optimizer.rewrite.MaskToBounds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The layout decisions the generated code rests on: where each tensor, extent and parameter sits
 * in a {@link einc.runtime.Launch}, whether the work slices over the batch ranks (each batch
 * point computed independently, with slice-local intermediates), which tensors may hold
 * absent entries, and the loop nests ({@link Schedule}): which ranks each nest loops outside its
 * statements, and which intermediates hold one point of them.
 */
final class KernelPlan {

    final Cascade cascade;
    /** Inputs then outputs: their slot in {@code Launch.tensors}. */
    final Map<String, Integer> slot = new LinkedHashMap<>();
    /** Index name to its position in the extents array. */
    final Map<String, Integer> extent = new LinkedHashMap<>();
    final Map<String, Integer> param = new LinkedHashMap<>();
    /** Every batch point runs on its own: batch ranks are fixed per slice. */
    final boolean sliced;
    final List<String> batch;
    /** Tensors that may hold absent entries (docs/SEMANTICS.md), tracked with presence flags. */
    final Set<String> tracked;
    final Schedule schedule;
    /** Statement number to the loop bounds its affine where-conditions give ({@link MaskToBounds}). */
    final Map<Integer, MaskToBounds.StatementBounds> bounds = new LinkedHashMap<>();

    KernelPlan(Cascade c) {
        this.cascade = c;
        for (TensorDecl t : c.inputs()) slot.put(t.name(), slot.size());
        for (TensorDecl t : c.outputs()) slot.put(t.name(), slot.size());
        for (IndexDef d : c.indices()) extent.put(d.name(), extent.size());
        for (var p : c.params()) param.put(p.name(), param.size());
        this.batch = c.batchRanks();
        this.sliced = canSlice(c);
        this.tracked = Presence.tracked(c);
        this.schedule = Schedule.of(c);
        for (MaskToBounds.StatementBounds b : MaskToBounds.analyze(c)) bounds.put(b.statement(), b);
    }

    /**
     * Whether rank {@code k} of {@code tensor} is left out of its storage: a batch rank of a
     * slice-local tensor, or an outer rank of its nest for a local intermediate.
     */
    boolean dropped(String tensor, int k) {
        if (sliceLocal(tensor) && k < batch.size()) return true;
        Schedule.Local l = schedule.local().get(tensor);
        return l != null && l.positions().contains(k);
    }

    /** The position of a fixed rank's value in the slice's point array: after the batch values and the slice number. */
    int pointSlot(String index) {
        return (sliced ? batch.size() : 0) + 1 + extent.get(index);
    }

    /**
     * Whether threads may split nest {@code n}'s first outer rank into chunks: it has one and no
     * recurrence (a recurrence's steps stay in order). Its statements at different outer points
     * then write disjoint entries of what crosses the nest and read what the nest writes only at
     * their own point ({@link Schedule}); each chunk holds its own copy of the nest's locals.
     */
    boolean split(Schedule.Nest n) {
        return !n.outer().isEmpty() && n.statements().stream().allMatch(p -> p.recurrence() == null);
    }

    boolean isInput(String tensor) {
        return cascade.inputs().stream().anyMatch(t -> t.name().equals(tensor));
    }

    boolean isOutput(String tensor) {
        return cascade.outputs().stream().anyMatch(t -> t.name().equals(tensor));
    }

    /** Whether {@code tensor}'s batch ranks are left out of its slice-local layout. */
    boolean sliceLocal(String tensor) {
        return sliced && !isInput(tensor);
    }

    /** The representative of an index's extent class (split parts are their own class). */
    String rep(String index) {
        return cascade.index(index).map(d -> d.rule() instanceof IndexDef.Bound(String r) ? r : index).orElse(index);
    }

    /**
     * Slicing is sound when every statement iterates every batch rank and every intermediate and
     * output is declared with, and accessed through, the batch ranks as its plain leading ranks.
     */
    private static boolean canSlice(Cascade c) {
        List<String> b = c.batchRanks();
        if (b.isEmpty()) return false;
        List<String> local = new ArrayList<>();
        for (TensorDecl t : c.outputs()) local.add(t.name());
        for (TensorDecl t : c.intermediates()) local.add(t.name());
        for (String name : local) {
            TensorDecl t = c.tensorOrThrow(name);
            if (t.arity() < b.size()) return false;
            for (int k = 0; k < b.size(); k++)
                if (!t.ranks().get(k).index().equals(b.get(k)) || t.ranks().get(k).iterative()) return false;
        }
        for (Einsum s : c.statements()) {
            if (!c.iterationSpace(s).containsAll(b)) return false;
            if (s.reducedIndices().stream().anyMatch(b::contains)) return false;
            List<Expr.Access> accesses = new ArrayList<>();
            accesses.add(s.target());
            Exprs.forEach(s.body(), e -> { if (e instanceof Expr.Access a) accesses.add(a); });
            if (s.where() != null) Exprs.forEach(s.where(), e -> { if (e instanceof Expr.Access a) accesses.add(a); });
            for (Expr.Access a : accesses) {
                if (!local.contains(a.tensor())) continue;
                for (int k = 0; k < b.size(); k++)
                    if (!(a.indices().get(k) instanceof IndexExpr.Idx(String n)) || !n.equals(b.get(k))) return false;
            }
        }
        return true;
    }
}
