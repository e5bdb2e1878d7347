package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexExpr;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The loop nests a backend emits for a cascade, in order. A nest is a run of consecutive
 * statements that share <em>outer</em> ranks: ranks every statement of the run iterates as a
 * plain, unreduced, non-iterative index of its target, and at which every tensor the run writes
 * is read inside the run only at the same point. The nest loops over its outer ranks once and
 * runs its statements, in order, for one outer point at a time; a statement's own loops (its
 * free ranks, then the ranks it reduces) sit inside, and statements of one recurrence share one
 * sequential loop over the iterative rank. FuseMax's pass boundaries over inner ranks become
 * successive sweeps over a row inside one outer point, so the softmax of Cascade 4 is one nest
 * over {@code p}: {@code QK}, {@code SN} and {@code A} shrink from {@code P·M} to rows of
 * {@code M}. A nest keeps the first of its shared ranks as its outer loop; the others stay
 * inner loops, so that rows (contiguous in memory) remain rows. Statements of one recurrence stay in one nest (its steps interleave them); a
 * statement or recurrence with no outer rank in common with its neighbours is a nest of its own.
 *
 * <p>An intermediate whose every writer and reader is in one nest with outer ranks is
 * <em>local</em>: it holds one outer point (its outer ranks dropped from its layout: a scalar
 * or a row). Every other intermediate <em>crosses</em> nests and lives in memory whole. The
 * batch ranks are <em>independent</em> when no statement couples two batch points: threads may
 * split them; a nest's outer ranks are independent within the nest.
 *
 * @param nests       the loop nests in execution order
 * @param local       every local intermediate and what its layout drops (the nest's outer ranks)
 * @param crossing    intermediates that live in memory whole
 * @param independent batch ranks whose points threads may split (empty when some statement couples them)
 */
public record Schedule(List<Nest> nests, Map<String, Local> local, List<String> crossing, List<String> independent) {

    /** A local intermediate: the outer ranks its layout drops, and their positions among its ranks. */
    public record Local(List<String> ranks, List<Integer> positions) {}

    /** One loop nest: its outer ranks (outermost first), its statements, and why it starts here. */
    public record Nest(int id, List<String> outer, List<Placed> statements, String cause) {

        /** The statements' labels, e.g. {@code QK[m, p]}. */
        public List<String> names() {
            return statements.stream().map(Placed::label).toList();
        }
    }

    /**
     * A statement inside a nest: the recurrence loop that encloses it (null for none), then its
     * free ranks (those not outer, not the recurrence's), then the ranks it reduces, innermost last.
     */
    public record Placed(int statement, String label, String recurrence, List<String> free, List<String> reduced) {}

    /** The schedule of {@code c}. */
    public static Schedule of(Cascade c) {
        List<Einsum> st = c.statements();
        List<String> independent = independentBatch(c);
        // Units: single statements, or the consecutive statements of one recurrence.
        List<List<Integer>> units = new ArrayList<>();
        for (int i = 0; i < st.size(); ) {
            String r = recurrence(c, st.get(i));
            int j = i + 1;
            if (r != null) while (j < st.size() && r.equals(recurrence(c, st.get(j)))) j++;
            List<Integer> u = new ArrayList<>();
            for (int k = i; k < j; k++) u.add(k);
            units.add(u);
            i = j;
        }
        List<List<Integer>> runs = new ArrayList<>();
        List<List<String>> outers = new ArrayList<>();
        List<String> causes = new ArrayList<>();
        List<List<Integer>> run = new ArrayList<>();
        List<String> outer = List.of();
        String cause = null;
        for (List<Integer> u : units) {
            List<String> mine = valid(c, u, common(c, u));
            if (!run.isEmpty()) {
                List<String> both = new ArrayList<>(outer);
                both.retainAll(mine);
                both = valid(c, flat(run, u), both);
                if (!both.isEmpty()) {
                    run.add(u);
                    outer = both;
                    continue;
                }
                // Take the run's trailing units that could loop over this unit's ranks along.
                List<List<Integer>> taken = new ArrayList<>();
                taken.add(u);
                List<String> theirs = mine;
                while (!mine.isEmpty() && run.size() > 1) {
                    List<Integer> last = run.getLast();
                    List<String> with = new ArrayList<>(theirs);
                    with.retainAll(valid(c, last, common(c, last)));
                    taken.addFirst(last);
                    with = valid(c, flat(taken, List.of()), with);
                    if (with.isEmpty() || !with.containsAll(mine)) {
                        taken.removeFirst();
                        break;
                    }
                    run.removeLast();
                    theirs = with;
                }
                if (taken.size() > 1) outer = valid(c, flat(run, List.of()), common(c, flat(run, List.of())));
                runs.add(flat(run, List.of()));
                outers.add(outer);
                causes.add(cause);
                String first = label(st.get(taken.getFirst().getFirst()));
                cause = mine.isEmpty() ? first + " has no outer rank to share"
                        : outer.isEmpty() ? first + " shares no outer rank with the nest before"
                        : first + " shares no outer rank with the nest before (" + String.join(", ", outer) + ")";
                run = taken;
                outer = theirs;
                continue;
            }
            run = new ArrayList<>();
            run.add(u);
            outer = mine;
        }
        if (!run.isEmpty()) {
            runs.add(flat(run, List.of()));
            outers.add(outer);
            causes.add(cause);
        }
        // One outer rank per nest: the others stay inner loops, where rows walk contiguous memory.
        outers.replaceAll(o -> o.isEmpty() ? o : List.of(o.getFirst()));
        List<Nest> nests = new ArrayList<>();
        Map<Integer, Integer> nestOf = new LinkedHashMap<>();
        for (int n = 0; n < runs.size(); n++) {
            List<Placed> placed = new ArrayList<>();
            for (int s : runs.get(n)) {
                Einsum e = st.get(s);
                String r = recurrence(c, e);
                List<String> free = new ArrayList<>(c.iterationSpace(e));
                free.removeAll(e.reducedIndices());
                free.removeAll(outers.get(n));
                free.removeAll(independent);
                if (r != null) free.remove(r);
                placed.add(new Placed(s, label(e), r, List.copyOf(free), List.copyOf(e.reducedIndices())));
                nestOf.put(s, n);
            }
            nests.add(new Nest(n, List.copyOf(outers.get(n)), List.copyOf(placed), causes.get(n)));
        }
        Map<String, Local> local = new LinkedHashMap<>();
        List<String> crossing = new ArrayList<>();
        for (TensorDecl t : c.intermediates()) {
            Set<Integer> touching = new LinkedHashSet<>();
            for (int s = 0; s < st.size(); s++) {
                if (st.get(s).tensor().equals(t.name()) || reads(st.get(s)).stream().anyMatch(a -> a.tensor().equals(t.name())))
                    touching.add(nestOf.get(s));
            }
            Nest home = touching.size() == 1 ? nests.get(touching.iterator().next()) : null;
            if (home != null && !home.outer().isEmpty()) {
                Einsum writer = st.get(home.statements().stream().mapToInt(Placed::statement)
                        .filter(s -> st.get(s).tensor().equals(t.name())).findFirst().orElseThrow());
                List<String> plain = writer.target().indices().stream().map(IndexExpr::plainIndex).toList();
                List<Integer> positions = new ArrayList<>();
                for (String o : home.outer()) positions.add(plain.indexOf(o));
                local.put(t.name(), new Local(home.outer(), List.copyOf(positions)));
            } else {
                crossing.add(t.name());
            }
        }
        return new Schedule(List.copyOf(nests), local, List.copyOf(crossing), independent);
    }

    private static List<Integer> flat(List<List<Integer>> units, List<Integer> more) {
        List<Integer> out = new ArrayList<>();
        units.forEach(out::addAll);
        out.addAll(more);
        return out;
    }

    /** The nest that runs statement {@code s}. */
    public Nest nestOf(int s) {
        for (Nest n : nests) for (Placed p : n.statements()) if (p.statement() == s) return n;
        throw new IllegalArgumentException("no statement " + s);
    }

    /** The iterative rank of {@code s}'s recurrence, or null (an init is not part of its recurrence's loop). */
    public static String recurrence(Cascade c, Einsum s) {
        if (s.init()) return null;
        List<String> space = c.iterationSpace(s);
        for (String r : c.iterativeIndices()) if (space.contains(r)) return r;
        return null;
    }

    /** The ranks every statement of {@code unit} could loop outside: plain, unreduced, non-iterative target indices. */
    private static List<String> common(Cascade c, List<Integer> unit) {
        List<String> out = null;
        for (int s : unit) {
            List<String> mine = pointRanks(c, c.statements().get(s));
            if (out == null) out = new ArrayList<>(mine);
            else out.retainAll(mine);
        }
        return out == null ? List.of() : out;
    }

    private static List<String> pointRanks(Cascade c, Einsum s) {
        List<String> out = new ArrayList<>();
        Set<String> iterative = new LinkedHashSet<>(c.iterativeIndices());
        List<String> space = c.iterationSpace(s);
        for (IndexExpr ix : s.target().indices()) {
            String n = ix.plainIndex();
            if (n == null || out.contains(n) || iterative.contains(n) || c.batchRanks().contains(n)) continue;
            if (!space.contains(n) || s.reducedIndices().contains(n)) continue;
            out.add(n);
        }
        return out;
    }

    /**
     * The ranks of {@code outer} at which the run is point-wise: every tensor it writes is written
     * and read inside the run through the plain rank at one position, so one outer point never
     * reads what another computes.
     */
    private static List<String> valid(Cascade c, List<Integer> run, List<String> outer) {
        List<String> out = new ArrayList<>();
        Set<String> written = new LinkedHashSet<>();
        for (int s : run) written.add(c.statements().get(s).tensor());
        for (String o : outer) {
            boolean ok = true;
            for (String t : written) {
                int pos = -1;
                for (int s : run) {
                    Einsum e = c.statements().get(s);
                    List<Expr.Access> touches = new ArrayList<>();
                    touches.add(e.target());
                    touches.addAll(reads(e));
                    for (Expr.Access a : touches) {
                        if (!a.tensor().equals(t)) continue;
                        int k = a.indices().stream().map(IndexExpr::plainIndex).toList().indexOf(o);
                        if (k < 0 || (pos >= 0 && k != pos)) ok = false;
                        else pos = k;
                    }
                }
            }
            if (ok) out.add(o);
        }
        return out;
    }

    private static List<Expr.Access> reads(Einsum s) {
        List<Expr.Access> r = new ArrayList<>();
        Exprs.forEach(s.body(), n -> { if (n instanceof Expr.Access a) r.add(a); });
        if (s.where() != null) Exprs.forEach(s.where(), n -> { if (n instanceof Expr.Access a) r.add(a); });
        return r;
    }

    /**
     * The batch ranks, when every statement iterates each of them unreduced and every non-input
     * tensor is declared with, and accessed through, them as its plain leading ranks; else none.
     */
    private static List<String> independentBatch(Cascade c) {
        List<String> b = c.batchRanks();
        if (b.isEmpty()) return List.of();
        Set<String> local = new LinkedHashSet<>();
        for (TensorDecl t : c.outputs()) local.add(t.name());
        for (TensorDecl t : c.intermediates()) local.add(t.name());
        for (String name : local) {
            TensorDecl t = c.tensorOrThrow(name);
            if (t.arity() < b.size()) return List.of();
            for (int k = 0; k < b.size(); k++)
                if (!t.ranks().get(k).index().equals(b.get(k)) || t.ranks().get(k).iterative()) return List.of();
        }
        for (Einsum s : c.statements()) {
            if (!c.iterationSpace(s).containsAll(b)) return List.of();
            if (s.reducedIndices().stream().anyMatch(b::contains)) return List.of();
            List<Expr.Access> accesses = new ArrayList<>(reads(s));
            accesses.add(s.target());
            for (Expr.Access a : accesses) {
                if (!local.contains(a.tensor())) continue;
                for (int k = 0; k < b.size(); k++)
                    if (!(a.indices().get(k) instanceof IndexExpr.Idx(String n)) || !n.equals(b.get(k))) return List.of();
            }
        }
        return List.copyOf(b);
    }

    private static String label(Einsum s) {
        return Flops.label(s);
    }
}
