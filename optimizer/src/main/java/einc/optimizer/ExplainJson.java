package einc.optimizer;

import einc.ir.Einsum;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders an {@link Explain} as JSON, the contract for tools: {@code cascade}, {@code passes}
 * (rank to count, ranks after {@code split} under their original name), {@code boundaries},
 * {@code statements} (name, pass per rank, group), {@code groups}, {@code footprint},
 * {@code traffic} and {@code flops}. Every quantity is {@code {"formula": "2*M*P", "value": N}},
 * {@code value} null when an extent is not given.
 */
public final class ExplainJson {

    private ExplainJson() {}

    public static String render(Explain x) {
        return Json.write(model(x));
    }

    public static Map<String, Object> model(Explain x) {
        var c = x.cascade();
        var passes = x.passes();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("cascade", c.name());
        root.put("batch", c.batchRanks());
        root.put("extents", new LinkedHashMap<>(x.extents()));
        root.put("passes", new LinkedHashMap<>(passes.passes()));

        List<Object> boundaries = new ArrayList<>();
        for (CountPasses.Boundary b : passes.boundaries()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rank", b.rank());
            m.put("pass", b.pass());
            m.put("complete", b.complete());
            m.put("final", b.finals());
            List<Object> rr = new ArrayList<>();
            for (CountPasses.Reread r : b.rereads()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("statement", r.statement());
                o.put("reads", r.tensor());
                rr.add(o);
            }
            m.put("rereads", rr);
            m.put("cause", b.cause());
            boundaries.add(m);
        }
        root.put("boundaries", boundaries);

        List<Object> statements = new ArrayList<>();
        for (int s = 0; s < c.statements().size(); s++) {
            Einsum e = c.statements().get(s);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", Flops.label(e));
            m.put("target", x.target(s));
            m.put("pass", new LinkedHashMap<>(passes.statementPasses().get(s)));
            m.put("group", x.groups().groupOf().get(s));
            m.put("reduces", e.reducedIndices());
            m.put("op", e.reduction() == null ? null : e.reduceOp().spelling());
            FlopFormula f = x.flops().get(Flops.label(e));
            m.put("flops", f == null ? null : quantity(x, f.total()));
            statements.add(m);
        }
        root.put("statements", statements);

        List<Object> groups = new ArrayList<>();
        for (FusionGroups.Group g : x.groups().groups()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", g.id());
            m.put("statements", g.names());
            m.put("cause", g.cause());
            m.put("live_bytes", quantity(x, x.footprint().liveBytesPerGroup().get(g.id())));
            groups.add(m);
        }
        root.put("groups", groups);

        Map<String, Object> footprint = new LinkedHashMap<>();
        footprint.put("per", c.batchRanks().isEmpty() ? "cascade" : "one element of the batch ranks");
        List<Object> entries = new ArrayList<>();
        for (Footprint.Entry e : x.footprint().entries()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tensor", e.tensor());
            m.put("whole", quantity(x, e.whole()));
            m.put("live", quantity(x, e.live()));
            m.put("bytes_per_element", e.bytesPerElement());
            m.put("streamed", e.streamed());
            m.put("groups", List.of(e.firstGroup(), e.lastGroup()));
            entries.add(m);
        }
        footprint.put("intermediates", entries);
        if (!x.groups().groups().isEmpty()) {
            Map<String, Object> peak = new LinkedHashMap<>();
            peak.put("group", x.peakGroup());
            peak.put("bytes", quantity(x, x.footprint().liveBytesPerGroup().get(x.peakGroup())));
            footprint.put("peak", peak);
        }
        root.put("footprint", footprint);

        Map<String, Object> traffic = new LinkedHashMap<>();
        List<Object> transfers = new ArrayList<>();
        for (Traffic.Transfer t : x.traffic().transfers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("group", t.group());
            m.put("tensor", t.tensor());
            m.put("direction", t.direction().name().toLowerCase(java.util.Locale.ROOT));
            m.put("bytes", quantity(x, t.bytes()));
            transfers.add(m);
        }
        traffic.put("transfers", transfers);
        traffic.put("read_bytes", quantity(x, x.traffic().bytes(Traffic.Direction.READ)));
        traffic.put("write_bytes", quantity(x, x.traffic().bytes(Traffic.Direction.WRITE)));
        traffic.put("total_bytes", quantity(x, x.traffic().totalBytes()));
        root.put("traffic", traffic);

        FlopFormula f = x.totalFlops();
        Map<String, Object> flops = new LinkedHashMap<>();
        flops.put("total", quantity(x, f.total()));
        flops.put("adds", quantity(x, f.adds()));
        flops.put("multiplies", quantity(x, f.multiplies()));
        flops.put("transcendentals", quantity(x, f.transcendentals()));
        flops.put("divisions", quantity(x, f.divisions()));
        flops.put("comparisons", quantity(x, f.comparisons()));
        root.put("flops", flops);
        return root;
    }

    private static Map<String, Object> quantity(Explain x, Poly p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("formula", p.render("*"));
        m.put("value", x.value(p));
        return m;
    }
}
