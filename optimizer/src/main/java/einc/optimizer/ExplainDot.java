package einc.optimizer;

import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.TensorDecl;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Renders an {@link Explain} as a Graphviz picture of the cascade: statements as boxes, inputs as
 * ellipses, dependencies as edges (bold red where the read value is complete over a rank and so
 * forces a new pass), one fill colour per pass over the rank with most passes, fusion groups as clusters.
 */
public final class ExplainDot {

    private ExplainDot() {}

    private static final List<String> PASS_COLOURS = List.of("#cfe2ff", "#d1e7dd", "#fff3cd", "#f8d7da", "#e2d9f3", "#ffe5d0");

    public static String render(Explain x) {
        var c = x.cascade();
        String rank = x.mainRank();
        StringBuilder sb = new StringBuilder();
        sb.append("digraph ").append(quote(c.name())).append(" {\n");
        sb.append("  rankdir=TB;\n  fontname=\"Helvetica\";\n");
        sb.append("  label=").append(quote(title(x))).append(";\n  labelloc=t;\n");
        sb.append("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fillcolor=\"#ffffff\"];\n");
        sb.append("  edge [fontname=\"Helvetica\", fontsize=10];\n");
        for (TensorDecl t : c.inputs()) {
            sb.append("  ").append(quote("in " + t.name())).append(" [shape=ellipse, style=solid, label=")
                    .append(quote(t.name())).append("];\n");
        }
        for (FusionGroups.Group g : x.groups().groups()) {
            sb.append("  subgraph ").append(quote("cluster_" + g.id())).append(" {\n");
            sb.append("    label=").append(quote("group " + g.id())).append(";\n    style=dashed;\n");
            for (int s : g.statements()) {
                Einsum e = c.statements().get(s);
                Integer pass = rank == null ? null : x.passes().statementPasses().get(s).get(rank);
                String colour = pass == null ? "#eeeeee" : PASS_COLOURS.get((pass - 1) % PASS_COLOURS.size());
                String label = x.target(s) + (pass == null ? "" : "\\npass " + pass + " over " + rank);
                sb.append("    ").append(quote(Flops.label(e))).append(" [label=").append(quote(label))
                        .append(", fillcolor=").append(quote(colour)).append("];\n");
            }
            sb.append("  }\n");
        }
        Dataflow df = new Dataflow(c);
        for (int s = 0; s < df.size(); s++) {
            Set<String> done = new LinkedHashSet<>();
            for (Expr.Access a : df.reads(s)) {
                if (!done.add(a.tensor())) continue;
                List<Integer> writers = df.writers(a.tensor());
                String me = Flops.label(c.statements().get(s));
                String forces = forces(x, a.tensor());
                if (writers.isEmpty()) {
                    sb.append("  ").append(quote("in " + a.tensor())).append(" -> ").append(quote(me)).append(";\n");
                }
                for (int w : writers) {
                    if (w == s) continue;
                    sb.append("  ").append(quote(Flops.label(c.statements().get(w)))).append(" -> ").append(quote(me));
                    if (forces != null && !c.statements().get(w).init()) {
                        sb.append(" [color=\"#c0392b\", penwidth=2, label=").append(quote("complete over " + forces)).append("]");
                    }
                    sb.append(";\n");
                }
            }
        }
        sb.append("}\n");
        return sb.toString();
    }

    /** The rank over which {@code tensor} is complete and read in a later pass, or null. */
    private static String forces(Explain x, String tensor) {
        for (CountPasses.Boundary b : x.passes().boundaries()) {
            if (b.complete().contains(tensor) || b.finals().contains(tensor)) return b.rank();
        }
        return null;
    }

    private static String title(Explain x) {
        List<String> counts = new java.util.ArrayList<>();
        for (String r : x.passes().ranks()) {
            int n = x.passes().passes().get(r);
            counts.add(n + (n == 1 ? " pass over " : " passes over ") + r);
        }
        return x.cascade().name() + (counts.isEmpty() ? "" : ": " + String.join(", ", counts));
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\n", "\u0000").replace("\\", "\\\\").replace("\"", "\\\"").replace("\u0000", "\\n") + "\"";
    }
}
