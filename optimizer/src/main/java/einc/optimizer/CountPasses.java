package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Rank;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts the passes a cascade takes over each rank, by FuseMax's definition (Nayak et al.,
 * "FuseMax: Leveraging Extended Einsums to Optimize Attention Accelerator Design", MICRO 2024,
 * Section III), and names the value that forces every pass boundary.
 *
 * <p>For a rank R (with its split parts): a value is <em>R-complete</em> when its statement reduces
 * R, or a part of R whose every value spans more than one tile (R's outer part after a split): it is
 * known only after all of R has been seen. Reducing only the inner part of a tile ({@code m0}) is
 * not R-complete: a tile is re-read on chip, not in a new pass. A recurrence over an iterative part
 * of R ({@code X[m1 + 1]} from {@code X[m1]}) is not R-complete either, but reading its final entry
 * ({@code X[M1]}) after the loop reads a value that needed all of R. A statement that iterates R
 * (any part of it) gets pass 1 + the largest number of R-complete values on any dependency chain
 * from the inputs to it; the cascade's pass count over R is the largest pass of its statements.
 *
 * <p>Ranks reported: every rank (by its name before {@code split}) that some statement reduces or
 * some tensor iterates over, batch ranks never.
 */
public final class CountPasses {

    private CountPasses() {}

    /** Where pass {@code pass} over {@code rank} begins, and why it cannot fuse with the one before. */
    public record Boundary(String rank, int pass, List<String> complete, List<String> finals, List<Reread> rereads) {

        /** "GM is complete over m only after all of m; SN re-reads QK". */
        public String cause() {
            List<String> parts = new ArrayList<>();
            for (String v : complete) parts.add(v + " is complete over " + rank + " only after all of " + rank);
            for (String v : finals) parts.add(v + " is final only after the recurrence has run over all of " + rank);
            StringBuilder sb = new StringBuilder(String.join("; ", parts));
            if (!rereads.isEmpty()) {
                List<String> rr = new ArrayList<>();
                for (Reread r : rereads) rr.add(r.statement() + " re-reads " + r.tensor());
                sb.append("; ").append(String.join(", ", rr));
            }
            return sb.toString();
        }
    }

    /** Statement {@code statement} reads {@code tensor}, indexed by the rank, again in a later pass. */
    public record Reread(String statement, String tensor) {}

    /**
     * The passes of a cascade: the reported ranks in order, the count per rank, per statement the
     * pass over each rank it iterates (in statement order), and the boundaries with their causes.
     */
    public record Result(List<String> ranks, Map<String, Integer> passes, List<Map<String, Integer>> statementPasses,
                         List<Boundary> boundaries, Map<String, Set<String>> completeValues) {

        /** The boundaries over {@code rank}, in pass order. */
        public List<Boundary> boundaries(String rank) {
            return boundaries.stream().filter(b -> b.rank().equals(rank)).toList();
        }
    }

    public static Result run(Cascade c) {
        Dataflow df = new Dataflow(c);
        List<String> ranks = reportedRanks(df);
        Map<String, Integer> passes = new LinkedHashMap<>();
        List<Map<String, Integer>> perStatement = new ArrayList<>();
        for (int s = 0; s < df.size(); s++) perStatement.add(new LinkedHashMap<>());
        List<Boundary> boundaries = new ArrayList<>();
        Map<String, Set<String>> completeValues = new LinkedHashMap<>();
        for (String r : ranks) {
            OverRank o = new OverRank(df, r);
            o.run();
            int max = 0;
            for (int s = 0; s < df.size(); s++) {
                if (o.pass[s] > 0) {
                    perStatement.get(s).put(r, o.pass[s]);
                    max = Math.max(max, o.pass[s]);
                }
            }
            passes.put(r, max);
            for (int p = 2; p <= max; p++) boundaries.add(o.boundary(p));
            completeValues.put(r, o.complete);
        }
        List<Map<String, Integer>> frozen = perStatement.stream().map(m -> (Map<String, Integer>) java.util.Collections.unmodifiableMap(m)).toList();
        return new Result(List.copyOf(ranks), java.util.Collections.unmodifiableMap(passes), frozen, List.copyOf(boundaries),
                java.util.Collections.unmodifiableMap(completeValues));
    }

    /** Ranks (named before split) that some statement reduces or some tensor iterates, in order of first use. */
    static List<String> reportedRanks(Dataflow df) {
        Set<String> candidates = new LinkedHashSet<>();
        for (Einsum s : df.statements) for (String i : s.reducedIndices()) candidates.add(df.root(i));
        for (String i : df.iterativeIndices()) candidates.add(df.root(i));
        List<String> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (int s = 0; s < df.size(); s++) {
            for (String i : df.space(s)) {
                String r = df.root(i);
                if (candidates.contains(r) && !df.isBatch(r) && seen.add(r)) out.add(r);
            }
        }
        return out;
    }

    /** The pass analysis over one rank. */
    private static final class OverRank {
        final Dataflow df;
        final String rank;
        final Set<String> family;
        final Set<String> spanning;
        final int[] pass;
        final Map<String, Integer> chain = new LinkedHashMap<>();
        final Set<String> complete = new LinkedHashSet<>();

        OverRank(Dataflow df, String rank) {
            this.df = df;
            this.rank = rank;
            this.family = df.family(rank);
            this.spanning = df.spanning(rank);
            this.pass = new int[df.size()];
        }

        boolean iterates(int s) {
            for (String i : df.space(s)) if (family.contains(i)) return true;
            return false;
        }

        /** Whether the statement's value is R-complete: it reduces R or a spanning part of R. */
        boolean makesComplete(int s) {
            for (String i : df.statements.get(s).reducedIndices()) if (spanning.contains(i)) return true;
            return false;
        }

        /** Whether reading {@code a} in statement {@code s} reads the final entry of a recurrence over part of R. */
        boolean readsFinal(int s, Expr.Access a) {
            for (String i : df.fixedIterativeReads(a)) {
                if (family.contains(i) && !df.recurrences(s).contains(i)) return true;
            }
            return false;
        }

        /** Complete values on the longest chain through the edge {@code a} into {@code s}. */
        int through(int s, Expr.Access a) {
            int c = chain.getOrDefault(a.tensor(), 0);
            return readsFinal(s, a) ? c + 1 : c;
        }

        boolean edgeComplete(int s, Expr.Access a) {
            return complete.contains(a.tensor()) || readsFinal(s, a);
        }

        void run() {
            for (int s = 0; s < df.size(); s++) {
                int k = 0;
                for (Expr.Access a : df.reads(s)) k = Math.max(k, through(s, a));
                if (iterates(s)) pass[s] = k + 1;
                String t = df.statements.get(s).tensor();
                boolean done = !df.statements.get(s).init() && makesComplete(s);
                if (done) complete.add(t);
                chain.merge(t, k + (done ? 1 : 0), Math::max);
            }
        }

        Boundary boundary(int p) {
            Set<String> causes = new LinkedHashSet<>();
            Set<String> finals = new LinkedHashSet<>();
            List<Reread> rereads = new ArrayList<>();
            Set<String> seenBefore = new LinkedHashSet<>();
            for (int s = 0; s < df.size(); s++) {
                if (pass[s] > 0 && pass[s] < p) {
                    seenBefore.add(df.statements.get(s).tensor());
                    for (Expr.Access a : df.reads(s)) seenBefore.add(a.tensor());
                }
            }
            for (int s = 0; s < df.size(); s++) {
                if (pass[s] != p) continue;
                trace(s, p - 1, causes, finals, new LinkedHashSet<>());
                Set<String> once = new LinkedHashSet<>();
                for (Expr.Access a : df.reads(s)) {
                    if (seenBefore.contains(a.tensor()) && indexedByRank(a.tensor()) && once.add(a.tensor())) {
                        rereads.add(new Reread(df.label(s), a.tensor()));
                    }
                }
            }
            return new Boundary(rank, p, List.copyOf(causes), List.copyOf(finals), List.copyOf(rereads));
        }

        /** Finds the complete values with chain count {@code n} that lift statement {@code s} past pass {@code n}. */
        void trace(int s, int n, Set<String> causes, Set<String> finals, Set<Integer> visited) {
            if (!visited.add(s)) return;
            for (Expr.Access a : df.reads(s)) {
                if (through(s, a) != n) continue;
                if (readsFinal(s, a)) {
                    finals.add(a.tensor());
                } else if (complete.contains(a.tensor())) {
                    causes.add(a.tensor());
                } else {
                    int d = df.definition(a.tensor());
                    if (d >= 0 && d != s && !iterates(d)) trace(d, n, causes, finals, visited);
                }
            }
        }

        boolean indexedByRank(String tensor) {
            TensorDecl t = df.tensor(tensor);
            if (t == null) return false;
            for (Rank r : t.ranks()) if (family.contains(r.index())) return true;
            return false;
        }
    }
}
