package einc.optimizer;

import einc.ir.Einsum;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;


/** Renders an {@link Explain} as the readable report of {@code einc explain} (also the golden-file format). */
public final class ExplainText {

    private ExplainText() {}

    public static String render(Explain x) {
        StringBuilder sb = new StringBuilder();
        var c = x.cascade();
        var passes = x.passes();
        List<String> counts = new ArrayList<>();
        for (String r : passes.ranks()) counts.add(plural(passes.passes().get(r), "pass", "passes") + " over " + r);
        sb.append("cascade ").append(c.name()).append(": ")
                .append(counts.isEmpty() ? "no rank is reduced" : String.join(", ", counts)).append('\n');
        if (!c.batchRanks().isEmpty()) sb.append("batch ranks ").append(String.join(", ", c.batchRanks())).append(" are never passed over\n");
        if (!x.extents().isEmpty()) {
            List<String> e = new ArrayList<>();
            x.extents().forEach((k, v) -> e.add(k + "=" + v));
            sb.append("extents ").append(String.join(", ", e)).append('\n');
        }

        for (String r : passes.ranks()) {
            sb.append(passes.ranks().getFirst().equals(r) ? "\n" : "").append("passes over ").append(r).append('\n');
            List<String[]> rows = new ArrayList<>();
            int n = passes.passes().get(r);
            for (int p = 1; p <= n; p++) {
                List<String> names = new ArrayList<>();
                for (int s = 0; s < c.statements().size(); s++) {
                    Integer q = passes.statementPasses().get(s).get(r);
                    if (q != null && q == p) names.add(Flops.label(c.statements().get(s)));
                }
                int pass = p;
                String cause = passes.boundaries(r).stream().filter(b -> b.pass() == pass).map(CountPasses.Boundary::cause).findFirst().orElse("");
                rows.add(new String[] {Integer.toString(p), String.join(" ", names), cause.isEmpty() ? "" : "because " + cause});
            }
            table(sb, rows);
        }

        sb.append("\nstatements\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"", "passes", "group", "reduces", "flops per statement"});
        for (int s = 0; s < c.statements().size(); s++) {
            Einsum e = c.statements().get(s);
            List<String> ps = new ArrayList<>();
            passes.statementPasses().get(s).forEach((r, p) -> ps.add(r + ":" + p));
            String reduces = e.reduction() == null ? "" : e.reduceOp().spelling() + "(" + String.join(", ", e.reducedIndices()) + ")";
            FlopFormula f = x.flops().get(Flops.label(e));
            rows.add(new String[] {x.target(s), String.join(" ", ps), Integer.toString(x.groups().groupOf().get(s)), reduces,
                    f == null ? "" : withValue(x, f.total())});
        }
        table(sb, rows);

        sb.append("\nfusion groups (one loop nest each)\n");
        rows = new ArrayList<>();
        for (FusionGroups.Group g : x.groups().groups()) {
            String cause = g.cause() == null ? "" : g.cause().startsWith("pass ") && g.cause().contains(":")
                    ? "starts pass " + g.cause().substring(5, g.cause().indexOf(':')) : "because " + g.cause();
            rows.add(new String[] {Integer.toString(g.id()), String.join(" ", g.names()), cause});
        }
        table(sb, rows);

        Schedule sched = Schedule.of(x.cascade());
        sb.append("\nschedule (the loop nests a backend emits: outer loop, statements inside)\n");
        rows = new ArrayList<>();
        for (Schedule.Nest n : sched.nests()) {
            rows.add(new String[] {Integer.toString(n.id()), n.outer().isEmpty() ? "-" : "for " + String.join(", ", n.outer()),
                    String.join(" ", n.names()), n.cause() == null ? "" : "because " + n.cause()});
        }
        table(sb, rows);
        if (!sched.local().isEmpty()) {
            List<String> parts = new ArrayList<>();
            sched.local().forEach((t, l) -> parts.add(t + " (" + String.join(", ", l.ranks()) + ")"));
            sb.append("  one outer point at a time: ").append(String.join(" ", parts)).append('\n');
        }
        if (!sched.crossing().isEmpty()) sb.append("  whole in memory: ").append(String.join(" ", sched.crossing())).append('\n');
        sb.append("  threads split: ").append(sched.independent().isEmpty() ? "nothing (a statement couples the batch points)"
                : String.join(", ", sched.independent())).append('\n');

        sb.append("\nfootprint of intermediates").append(batchElement(x)).append(", in elements\n");
        rows = new ArrayList<>();
        rows.add(new String[] {"", "whole", "live in the plan", ""});
        for (Footprint.Entry e : x.footprint().entries()) {
            String where = e.streamed() ? "streamed in group " + e.firstGroup()
                    : e.firstGroup() == e.lastGroup() ? "group " + e.firstGroup() : "groups " + e.firstGroup() + "-" + e.lastGroup();
            rows.add(new String[] {e.tensor(), e.whole().toString(), e.live().toString(), where});
        }
        if (rows.size() > 1) table(sb, rows);
        else sb.append("  (none)\n");
        int peak = x.peakGroup();
        if (!x.footprint().liveBytesPerGroup().isEmpty()) {
            sb.append("  smallest buffer of the fused plan (group ").append(peak).append("), bytes: ")
                    .append(bytes(x, x.footprint().liveBytesPerGroup().get(peak))).append('\n');
        }

        sb.append("\nDRAM traffic (estimate: each group reads what it needs once), bytes\n");
        sb.append("  read:  ").append(bytes(x, x.traffic().bytes(Traffic.Direction.READ))).append('\n');
        sb.append("  write: ").append(bytes(x, x.traffic().bytes(Traffic.Direction.WRITE))).append('\n');
        List<String> spills = new ArrayList<>();
        for (Traffic.Transfer t : x.traffic().transfers()) {
            var decl = c.tensor(t.tensor()).orElse(null);
            if (decl != null && decl.role() == TensorDecl.Role.INTERMEDIATE && t.direction() == Traffic.Direction.WRITE) spills.add(t.tensor());
        }
        if (!spills.isEmpty()) sb.append("  intermediates that go through memory: ").append(String.join(" ", spills)).append('\n');

        FlopFormula f = x.totalFlops();
        boolean masked = c.statements().stream().anyMatch(e -> e.where() != null);
        sb.append("\nFLOPs").append(masked ? " (masked statements counted whole: an upper bound)" : "").append('\n');
        rows = new ArrayList<>();
        rows.add(new String[] {"total", flops(x, f.total())});
        rows.add(new String[] {"adds", withValue(x, f.adds())});
        rows.add(new String[] {"multiplies", withValue(x, f.multiplies())});
        rows.add(new String[] {"exp-like", withValue(x, f.transcendentals())});
        rows.add(new String[] {"divisions", withValue(x, f.divisions())});
        rows.add(new String[] {"comparisons", withValue(x, f.comparisons())});
        table(sb, rows);
        return sb.toString();
    }

    private static String batchElement(Explain x) {
        var b = x.cascade().batchRanks();
        return b.isEmpty() ? "" : " per (" + String.join(", ", b) + ")";
    }

    /** {@code 2·M·P = 2097152} when every extent is given, else the formula alone. */
    static String withValue(Explain x, Poly p) {
        Long v = x.value(p);
        if (v == null || p.terms().keySet().stream().allMatch(List::isEmpty)) return p.toString();
        return p + " = " + v;
    }

    /** Like {@link #withValue} with the value also in KiB, MiB or GiB. */
    static String bytes(Explain x, Poly p) {
        Long v = x.value(p);
        String s = withValue(x, p);
        if (v == null || v < 1024) return s;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double d = v;
        int u = -1;
        while (d >= 1024 && u + 1 < units.length) {
            d /= 1024;
            u++;
        }
        return s + String.format(Locale.ROOT, " (%.1f %s)", d, units[u]);
    }

    /** Like {@link #withValue} with the value also in GFLOP (or MFLOP). */
    static String flops(Explain x, Poly p) {
        Long v = x.value(p);
        String s = withValue(x, p);
        if (v == null || v < 1_000_000) return s;
        return s + (v >= 1_000_000_000L ? String.format(Locale.ROOT, " (%.2f GFLOP)", v / 1e9) : String.format(Locale.ROOT, " (%.2f MFLOP)", v / 1e6));
    }

    private static String plural(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** Left-aligned columns, two spaces apart, indented by two. */
    private static void table(StringBuilder sb, List<String[]> rows) {
        int cols = rows.getFirst().length;
        int[] width = new int[cols];
        for (String[] r : rows) for (int i = 0; i < cols; i++) width[i] = Math.max(width[i], r[i].length());
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < cols; i++) {
                line.append(r[i]);
                if (i + 1 < cols) line.append(" ".repeat(width[i] - r[i].length() + 2));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
