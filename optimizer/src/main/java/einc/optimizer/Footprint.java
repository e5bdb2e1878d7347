package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The live footprint of every intermediate under the fused plan of {@link FusionGroups}, per batch
 * element (batch ranks left out). A value produced and consumed inside one group is streamed: it
 * needs no entry per value of the rank the group passes over (one tile of it after a split), and a
 * recurrence keeps one entry. A value read by a later group lives whole until its last reader, except
 * a recurrence read only at its final entry. The smallest buffer a fused plan needs is the largest
 * sum of live values over the groups. Inputs and outputs live in memory and are not counted.
 */
public final class Footprint {

    private Footprint() {}

    /** One intermediate: its whole size and its size live in the plan (elements), groups it lives across. */
    public record Entry(String tensor, Poly whole, Poly live, int bytesPerElement, int firstGroup, int lastGroup, boolean streamed) {}

    /** Every intermediate in statement order, and per group the sum of the live sizes in bytes (a polynomial). */
    public record Result(List<Entry> entries, List<Poly> liveBytesPerGroup) {

        /** The group whose live bytes are largest at the extents of {@code t} (ties: the first). */
        public int peakGroup(ExtentTable t) {
            int best = 0;
            long most = -1;
            for (int g = 0; g < liveBytesPerGroup.size(); g++) {
                long v = liveBytesPerGroup.get(g).evaluate(t);
                if (v > most) {
                    most = v;
                    best = g;
                }
            }
            return best;
        }
    }

    public static Result run(Cascade c, CountPasses.Result passes, FusionGroups.Result groups) {
        Dataflow df = new Dataflow(c);
        List<Entry> entries = new ArrayList<>();
        for (TensorDecl t : c.intermediates()) {
            int d = df.definition(t.name());
            if (d < 0) continue;
            int g = groups.groupOf().get(d);
            List<Integer> readers = df.readers(t.name());
            int last = g;
            List<Integer> outside = new ArrayList<>();
            for (int r : readers) {
                last = Math.max(last, groups.groupOf().get(r));
                if (!groups.groupOf().get(r).equals(g)) outside.add(r);
            }
            Poly whole = df.elements(t, false, Set.of(), Set.of());
            boolean streamed = outside.isEmpty();
            Poly live;
            if (streamed) {
                Set<String> dropped = new LinkedHashSet<>();
                for (int s : groups.groups().get(g).statements()) {
                    for (String rank : passes.statementPasses().get(s).keySet()) dropped.addAll(df.spanning(rank));
                }
                Set<String> iterative = new LinkedHashSet<>();
                t.ranks().stream().filter(r -> r.iterative()).forEach(r -> iterative.add(r.index()));
                live = df.elements(t, false, dropped, iterative);
            } else {
                live = df.elements(t, false, Set.of(), df.fixedForAll(t.name(), outside));
            }
            entries.add(new Entry(t.name(), whole, live, t.type().bytes(), g, last, streamed));
        }
        List<Poly> perGroup = new ArrayList<>();
        for (int g = 0; g < groups.groups().size(); g++) {
            Poly sum = Poly.ZERO;
            for (Entry e : entries) if (e.firstGroup() <= g && g <= e.lastGroup()) sum = sum.plus(e.live().times(e.bytesPerElement()));
            perGroup.add(sum);
        }
        return new Result(List.copyOf(entries), List.copyOf(perGroup));
    }
}
