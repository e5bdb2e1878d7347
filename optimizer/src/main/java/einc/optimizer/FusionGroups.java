package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Expr;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups consecutive statements that can share one loop nest, and names the cause of every
 * boundary. A statement joins the group before it unless (1) it iterates a rank in another pass
 * than the group does (a pass boundary: the cause is the value that forces the pass), (2) it reads
 * a value the group completes over a rank and iterates a rank the group's loop nest does not have,
 * so it cannot run as the nest's epilogue, or (3) it belongs to another recurrence than the group.
 * Statements after a loop that need only ranks the nest already has (the division by the running
 * sum after Cascade 5's loop) stay in the group as its epilogue. Layouts are not compared yet:
 * two statements that would want different loop orders still share a group.
 */
public final class FusionGroups {

    private FusionGroups() {}

    /** One loop nest: its statements (indices into the cascade's statements) and why it starts. */
    public record Group(int id, List<Integer> statements, List<String> names, String cause) {}

    /** The groups in order, and for every statement the group it belongs to. */
    public record Result(List<Group> groups, List<Integer> groupOf) {}

    public static Result run(Cascade c, CountPasses.Result passes) {
        Dataflow df = new Dataflow(c);
        List<Group> groups = new ArrayList<>();
        List<Integer> groupOf = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        String currentCause = null;
        for (int s = 0; s < df.size(); s++) {
            String cause = current.isEmpty() ? null : conflict(df, passes, current, s);
            if (cause != null) {
                groups.add(group(df, groups.size(), current, currentCause));
                current = new ArrayList<>();
                currentCause = cause;
            }
            current.add(s);
            groupOf.add(groups.size());
        }
        if (!current.isEmpty()) groups.add(group(df, groups.size(), current, currentCause));
        return new Result(List.copyOf(groups), List.copyOf(groupOf));
    }

    private static Group group(Dataflow df, int id, List<Integer> members, String cause) {
        List<String> names = members.stream().map(df::label).toList();
        return new Group(id, List.copyOf(members), names, cause);
    }

    /** Why statement {@code s} cannot join {@code group}, or null when it can. */
    private static String conflict(Dataflow df, CountPasses.Result passes, List<Integer> group, int s) {
        Map<String, Integer> mine = passes.statementPasses().get(s);
        for (int g : group) {
            for (var e : passes.statementPasses().get(g).entrySet()) {
                Integer p = mine.get(e.getKey());
                if (p != null && !p.equals(e.getValue())) {
                    String rank = e.getKey();
                    String why = passes.boundaries(rank).stream().filter(b -> b.pass() == p).map(CountPasses.Boundary::cause)
                            .findFirst().orElse("");
                    return "pass " + p + " over " + rank + (why.isEmpty() ? "" : ": " + why);
                }
            }
        }
        Set<String> recurrences = df.recurrences(s);
        for (int g : group) {
            Set<String> theirs = df.recurrences(g);
            if (!recurrences.isEmpty() && !theirs.isEmpty() && !theirs.equals(recurrences)) {
                return "the recurrence over " + String.join(", ", recurrences) + " is a loop of its own";
            }
        }
        Set<String> nest = new LinkedHashSet<>();
        for (int g : group) nest.addAll(df.space(g));
        for (String rank : passes.ranks()) {
            Set<String> family = df.family(rank);
            if (df.space(s).stream().anyMatch(family::contains)) continue;
            for (Expr.Access a : df.reads(s)) {
                int d = df.definition(a.tensor());
                if (d < 0 || !group.contains(d) || !completes(df, passes, rank, d, s, a)) continue;
                for (String i : df.space(s)) {
                    if (!nest.contains(i)) {
                        return df.label(s) + " iterates " + i + ", which the loop nest of " + df.label(d)
                                + " does not; " + a.tensor() + " is complete over " + rank + " only after all of " + rank;
                    }
                }
            }
        }
        return null;
    }

    /** Whether {@code a} (of tensor defined by {@code d}) read by {@code s} needs all of {@code rank} first. */
    private static boolean completes(Dataflow df, CountPasses.Result passes, String rank, int d, int s, Expr.Access a) {
        if (passes.completeValues().getOrDefault(rank, Set.of()).contains(a.tensor())) return true;
        Set<String> family = df.family(rank);
        for (String i : df.fixedIterativeReads(a)) if (family.contains(i) && !df.recurrences(s).contains(i)) return true;
        return false;
    }
}
