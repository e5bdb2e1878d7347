package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.Split;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The facts every analysis asks of a cascade: the ranks of each statement, what it reads, which
 * statement defines a tensor, and how split parts relate to the rank they split.
 */
final class Dataflow {

    final Cascade cascade;
    final List<Einsum> statements;
    private final List<List<String>> spaces = new ArrayList<>();
    private final List<List<Expr.Access>> reads = new ArrayList<>();

    Dataflow(Cascade cascade) {
        this.cascade = cascade;
        this.statements = cascade.statements();
        for (Einsum s : statements) {
            spaces.add(Flops.space(cascade, s));
            List<Expr.Access> r = new ArrayList<>();
            Exprs.forEach(s.body(), n -> { if (n instanceof Expr.Access a) r.add(a); });
            if (s.where() != null) Exprs.forEach(s.where(), n -> { if (n instanceof Expr.Access a) r.add(a); });
            reads.add(r);
        }
    }

    int size() {
        return statements.size();
    }

    String label(int s) {
        return Flops.label(statements.get(s));
    }

    /** The iteration space of statement {@code s} (an init's fixed iterative ranks left out). */
    List<String> space(int s) {
        return spaces.get(s);
    }

    List<Expr.Access> reads(int s) {
        return reads.get(s);
    }

    /** The index of the statement (not init) that defines {@code tensor}, or -1 for an input. */
    int definition(String tensor) {
        for (int i = 0; i < statements.size(); i++) {
            if (!statements.get(i).init() && statements.get(i).tensor().equals(tensor)) return i;
        }
        return -1;
    }

    /** The statements that write {@code tensor}: its init(s) and its definition. */
    List<Integer> writers(String tensor) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < statements.size(); i++) if (statements.get(i).tensor().equals(tensor)) out.add(i);
        return out;
    }

    TensorDecl tensor(String name) {
        return cascade.tensor(name).orElse(null);
    }

    boolean isBatch(String index) {
        return cascade.batchRanks().contains(index);
    }

    /** The rank {@code index} is a part of: follows splits up to a rank that is not a split part. */
    String root(String index) {
        for (Split sp : cascade.splits()) {
            if (sp.outer().equals(index) || sp.inner().equals(index)) return root(sp.parent());
        }
        return index;
    }

    /** {@code rank} and every part of it after splits. */
    Set<String> family(String rank) {
        Set<String> out = new LinkedHashSet<>();
        out.add(rank);
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Split sp : cascade.splits()) {
                if (out.contains(sp.parent())) grew |= out.add(sp.outer()) | out.add(sp.inner());
            }
        }
        return out;
    }

    /**
     * {@code rank}, its outer part, that part's outer part and so on: the parts whose every value
     * spans more than one tile, so reducing one of them needs all of {@code rank}.
     */
    Set<String> spanning(String rank) {
        Set<String> out = new LinkedHashSet<>();
        String r = rank;
        out.add(r);
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Split sp : cascade.splits()) {
                if (sp.parent().equals(r) && out.add(sp.outer())) {
                    r = sp.outer();
                    grew = true;
                }
            }
        }
        return out;
    }

    /** The iterative ranks a statement's space contains: the recurrences it belongs to. */
    Set<String> recurrences(int s) {
        Set<String> iterative = iterativeIndices();
        Set<String> out = new LinkedHashSet<>();
        if (statements.get(s).init()) return out;
        for (String i : space(s)) if (iterative.contains(i)) out.add(i);
        return out;
    }

    /** Every index that some tensor holds as an iterative rank. */
    Set<String> iterativeIndices() {
        return new LinkedHashSet<>(cascade.iterativeIndices());
    }

    /**
     * The iterative ranks of {@code a}'s tensor that {@code a} reads at a fixed entry (such as
     * {@code RNV[M1, p, f]}, the final entry after the loop) rather than at the loop's index.
     */
    Set<String> fixedIterativeReads(Expr.Access a) {
        Set<String> out = new LinkedHashSet<>();
        TensorDecl t = tensor(a.tensor());
        if (t == null) return out;
        for (int k = 0; k < t.arity() && k < a.indices().size(); k++) {
            Rank r = t.ranks().get(k);
            if (!r.iterative()) continue;
            Set<String> used = new LinkedHashSet<>();
            Exprs.collectIndices(a.indices().get(k), used);
            if (used.isEmpty()) out.add(r.index());
        }
        return out;
    }

    /** The index variables of a target position, e.g. {@code m1} of {@code m1 + 1}. */
    static Set<String> indicesOf(IndexExpr e) {
        Set<String> out = new LinkedHashSet<>();
        Exprs.collectIndices(e, out);
        return out;
    }

    /** The ranks of {@code t} without batch ranks. */
    List<Rank> nonBatchRanks(TensorDecl t) {
        return t.ranks().stream().filter(r -> !isBatch(r.index())).toList();
    }

    /**
     * The number of elements of {@code t} as a polynomial: batch ranks only when {@code withBatch},
     * ranks in {@code dropped} left out, an iterative rank {@code R + 1} entries unless it is in
     * {@code oneEntry}.
     */
    Poly elements(TensorDecl t, boolean withBatch, Set<String> dropped, Set<String> oneEntry) {
        Poly n = Poly.ONE;
        for (Rank r : t.ranks()) {
            if (!withBatch && isBatch(r.index())) continue;
            if (dropped.contains(r.index())) continue;
            if (r.iterative()) {
                if (!oneEntry.contains(r.index())) n = n.times(Poly.product(List.of(r.index())).plus(Poly.ONE));
            } else {
                n = n.times(Poly.product(List.of(r.index())));
            }
        }
        return n;
    }

    /** The statements that read {@code tensor}, other than the ones that write it. */
    List<Integer> readers(String tensor) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < statements.size(); i++) {
            if (statements.get(i).tensor().equals(tensor)) continue;
            for (Expr.Access a : reads(i)) {
                if (a.tensor().equals(tensor)) {
                    out.add(i);
                    break;
                }
            }
        }
        return out;
    }

    /** The iterative ranks of {@code tensor} that every read by a statement of {@code outside} takes at a fixed entry. */
    Set<String> fixedForAll(String tensor, List<Integer> outside) {
        TensorDecl t = tensor(tensor);
        Set<String> out = new LinkedHashSet<>();
        if (t == null) return out;
        for (Rank r : t.ranks()) if (r.iterative()) out.add(r.index());
        for (int s : outside) {
            for (Expr.Access a : reads(s)) if (a.tensor().equals(tensor)) out.retainAll(fixedIterativeReads(a));
        }
        return out;
    }
}
