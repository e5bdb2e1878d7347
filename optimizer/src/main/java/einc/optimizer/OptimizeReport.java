package einc.optimizer;

import einc.ir.Printer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What {@code einc explain --optimize} adds: passes per rank before and after the pipeline, each
 * rewrite that applied with what it changed, why the others did not, and the optimized cascade as
 * {@code .ein} that parses back.
 */
public final class OptimizeReport {

    private OptimizeReport() {}

    /** Rank to {@code [before, after]}: every rank either cascade iterates, in name order. */
    public static Map<String, int[]> passes(Pipeline.Outcome o) {
        Map<String, Integer> before = CountPasses.run(o.original()).passes(), after = CountPasses.run(o.optimized()).passes();
        Map<String, int[]> out = new LinkedHashMap<>();
        TreeSet<String> ranks = new TreeSet<>(before.keySet());
        ranks.addAll(after.keySet());
        for (String r : ranks)
            out.put(r, new int[] {before.getOrDefault(r, 0), after.getOrDefault(r, 0)});
        return out;
    }

    public static String text(Pipeline.Outcome o) {
        StringBuilder sb = new StringBuilder();
        sb.append("\noptimized (einc run uses this plan; --no-optimize turns it off)\n");
        List<String> parts = new ArrayList<>();
        passes(o).forEach((r, ba) -> parts.add(r + " " + ba[0] + " -> " + ba[1]));
        sb.append("  passes: ").append(String.join(", ", parts)).append('\n');
        sb.append("  rewrites applied:\n");
        boolean any = false;
        for (Pipeline.Step s : o.steps()) {
            if (!s.result().applied()) continue;
            any = true;
            for (String ch : s.result().changes()) sb.append("    ").append(s.pass()).append(": ").append(ch).append('\n');
        }
        if (!any) sb.append("    none\n");
        List<String> skipped = new ArrayList<>();
        for (Pipeline.Step s : o.steps())
            if (!s.result().applied() && !s.pass().equals("dead-statements")) skipped.add("    " + s.pass() + ": " + s.result().reason());
        if (!skipped.isEmpty()) {
            sb.append("  not applied:\n");
            for (String line : skipped) sb.append(line).append('\n');
        }
        sb.append("  cascade:\n\n").append(Printer.print(o.optimized()));
        return sb.toString();
    }

    /** {@code {"passes": {rank: {"before", "after"}}, "rewrites": [...], "not_applied": [...], "cascade": ".ein text"}}. */
    public static Map<String, Object> json(Pipeline.Outcome o) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> passes = new LinkedHashMap<>();
        passes(o).forEach((r, ba) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("before", ba[0]);
            m.put("after", ba[1]);
            passes.put(r, m);
        });
        root.put("passes", passes);
        List<Object> rewrites = new ArrayList<>(), skipped = new ArrayList<>();
        for (Pipeline.Step s : o.steps()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.pass());
            if (s.result().applied()) {
                m.put("summary", s.summary());
                m.put("counters", new LinkedHashMap<>(s.result().counters()));
                m.put("changes", s.result().changes());
                rewrites.add(m);
            } else {
                m.put("reason", s.result().reason());
                skipped.add(m);
            }
        }
        root.put("rewrites", rewrites);
        root.put("not_applied", skipped);
        root.put("cascade", Printer.print(o.optimized()));
        return root;
    }
}
