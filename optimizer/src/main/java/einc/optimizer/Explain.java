package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.IndexExpr;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code einc explain} reports about one cascade: passes per rank with their causes, fusion
 * groups, live footprint, DRAM traffic and FLOPs, with values for the extents given (formulas alone
 * where an extent is unknown). Rendered by {@link ExplainText}, {@link ExplainJson} and {@link ExplainDot}.
 */
public record Explain(Cascade cascade, Map<String, Long> extents, CountPasses.Result passes, FusionGroups.Result groups,
                      Footprint.Result footprint, Traffic.Result traffic, Map<String, FlopFormula> flops) {

    public Explain {
        extents = java.util.Collections.unmodifiableMap(new TreeMap<>(extents));
    }

    /** Runs every analysis over {@code c}; {@code extents} (index name to extent) may be empty. */
    public static Explain of(Cascade c, Map<String, Long> extents) {
        CountPasses.Result passes = CountPasses.run(c);
        FusionGroups.Result groups = FusionGroups.run(c, passes);
        return new Explain(c, extents, passes, groups, Footprint.run(c, passes, groups), Traffic.run(c, groups), Flops.perStatement(c));
    }

    public ExtentTable table() {
        return ExtentTable.of(cascade, extents);
    }

    /** The value of {@code p} at the given extents, or null when one of its extents is not given (or it overflows a long). */
    public Long value(Poly p) {
        ExtentTable t = table();
        try {
            return p.evaluable(t) ? p.evaluate(t) : null;
        } catch (ArithmeticException overflow) {
            return null;
        }
    }

    public FlopFormula totalFlops() {
        FlopFormula sum = FlopFormula.ZERO;
        for (FlopFormula f : flops.values()) sum = sum.plus(f);
        return sum;
    }

    /**
     * The group with the largest live footprint: at the given extents, any extent not given taken
     * as 1024 (so the choice is deterministic before extents are known).
     */
    public int peakGroup() {
        return footprint.peakGroup(table().orElse(1024));
    }

    /** The rank whose passes the picture colours: the one with most passes (the first on ties), or null. */
    public String mainRank() {
        String best = null;
        for (String r : passes.ranks()) if (best == null || passes.passes().get(r) > passes.passes().get(best)) best = r;
        return best;
    }

    /** {@code QK[m, p]}: the target with its batch ranks left out; {@code init RM[m1 = 0, p]} for an init. */
    public String target(int s) {
        Einsum e = cascade.statements().get(s);
        TensorDecl t = cascade.tensor(e.tensor()).orElse(null);
        List<String> shown = new ArrayList<>();
        for (int k = 0; k < e.target().indices().size(); k++) {
            IndexExpr ix = e.target().indices().get(k);
            String plain = ix.plainIndex();
            if (plain != null && cascade.batchRanks().contains(plain)) continue;
            boolean iterativeRank = t != null && k < t.arity() && t.ranks().get(k).iterative();
            shown.add(e.init() && iterativeRank ? show(ix) + " = 0" : show(ix));
        }
        String name = shown.isEmpty() ? e.tensor() : e.tensor() + "[" + String.join(", ", shown) + "]";
        return e.init() ? "init " + name : name;
    }

    /** An index expression as written in source. */
    static String show(IndexExpr e) {
        return switch (e) {
            case IndexExpr.Idx(String n) -> n;
            case IndexExpr.Ext(String i) -> i.toUpperCase(java.util.Locale.ROOT);
            case IndexExpr.Lit(long v) -> Long.toString(v);
            case IndexExpr.INeg(IndexExpr a) -> "-" + show(a);
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> show(a) + " " + op.symbol + " " + show(b);
        };
    }
}
