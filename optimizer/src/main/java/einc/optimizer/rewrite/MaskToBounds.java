package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.Split;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mask to bounds (LANGUAGE.md §6: the masked half is never computed): reads every conjunct of a
 * {@code where} that is affine in the indices as a bound on each index with coefficient ±1
 * ({@code m <= p}: {@code m <= p}; {@code p - m < W}: {@code m > p - W}) and, for a split index,
 * when a whole tile is masked (skip it) or unmasked (no test inside). The cascade is unchanged:
 * the bounds are a plan for the backends.
 */
public final class MaskToBounds implements Rewrite {

    /** {@code index OP bound}, from the conjunct {@code because}. */
    public record Bound(String index, Expr.Op op, Expr bound, Expr because) {}

    /**
     * For the tiles of {@code outer} (parts {@code inner} of size extent of inner): a tile is fully
     * masked when {@code skipWhen} holds and fully unmasked when {@code denseWhen} holds; both are
     * in the other indices of the statement.
     */
    public record Tiles(String outer, String inner, Expr skipWhen, Expr denseWhen) {}

    /** The bounds of one statement (by position in the cascade) and its tile rules. */
    public record StatementBounds(int statement, String tensor, List<Bound> bounds, List<Tiles> tiles, boolean exact) {}

    @Override
    public String name() {
        return "mask-to-bounds";
    }

    @Override
    public String summary() {
        return "affine where-conditions become loop bounds and skipped tiles (a plan for the backends)";
    }

    @Override
    public Result apply(Cascade c) {
        List<StatementBounds> plan = analyze(c);
        if (plan.isEmpty()) return Result.notApplicable(c, "no statement has an affine where-condition");
        List<String> changes = new ArrayList<>();
        int bounds = 0, tiles = 0;
        for (StatementBounds sb : plan) {
            bounds += sb.bounds().size();
            tiles += sb.tiles().size();
            List<String> parts = new ArrayList<>();
            for (Bound b : sb.bounds()) parts.add(b.index() + " " + b.op().spelling + " " + einc.ir.Printer.print(b.bound()));
            for (Tiles t : sb.tiles()) parts.add("skip tile " + t.outer() + " when " + einc.ir.Printer.print(t.skipWhen())
                    + (t.denseWhen() == null ? "" : ", unmasked when " + einc.ir.Printer.print(t.denseWhen())));
            changes.add(sb.tensor() + ": " + String.join("; ", parts) + (sb.exact() ? "" : " (the rest of the condition stays a test)"));
        }
        Map<String, Integer> counters = new LinkedHashMap<>();
        counters.put("bounds", bounds);
        counters.put("tile rules", tiles);
        return Result.changed(c, counters, changes);
    }

    /** The bounds of every statement whose condition has an affine conjunct. */
    public static List<StatementBounds> analyze(Cascade c) {
        List<StatementBounds> out = new ArrayList<>();
        for (int i = 0; i < c.statements().size(); i++) {
            Einsum s = c.statements().get(i);
            if (s.where() == null) continue;
            List<Expr> conjuncts = new ArrayList<>();
            Exprs.collectOperands(s.where(), Expr.Op.AND, conjuncts);
            List<Bound> bounds = new ArrayList<>();
            boolean exact = true;
            List<Expr> affine = new ArrayList<>();
            for (Expr k : conjuncts) {
                List<Bound> b = bounds(k);
                if (b == null) exact = false;
                else {
                    bounds.addAll(b);
                    affine.add(k);
                }
            }
            if (bounds.isEmpty()) continue;
            List<Tiles> tiles = new ArrayList<>();
            List<String> space = s.space();
            for (Split sp : c.splits()) {
                if (!space.contains(sp.outer()) || !space.contains(sp.inner())) continue;
                Expr skip = null, dense = null;
                boolean involved = false, allDense = exact;
                for (Bound b : bounds) {
                    if (!b.index().equals(sp.inner())) continue;
                    involved = true;
                    skip = or(skip, skipWhen(b, sp.inner()));
                    dense = Rewriting.and(dense, denseWhen(b, sp.inner()));
                }
                // every affine conjunct must bound the inner index for "unmasked" to mean the whole tile
                for (Expr k : affine)
                    if (bounds(k).stream().noneMatch(b -> b.index().equals(sp.inner()))) allDense = false;
                if (involved) tiles.add(new Tiles(sp.outer(), sp.inner(), skip, allDense ? dense : null));
            }
            out.add(new StatementBounds(i, s.tensor(), bounds, tiles, exact));
        }
        return out;
    }

    /** The bounds one comparison implies on each index with coefficient ±1, or null when it is not affine. */
    static List<Bound> bounds(Expr conjunct) {
        if (!(conjunct instanceof Expr.Binary(Expr.Op op, Expr x, Expr y)) || !op.isComparison() || op == Expr.Op.NE) return null;
        Affine a = Affine.of(x), b = Affine.of(y);
        if (a == null || b == null) return null;
        Affine d = a.plus(b.scale(new Expr.Const(-1))); // d OP 0
        List<Bound> out = new ArrayList<>();
        for (Map.Entry<String, Expr> t : d.coefficients().entrySet()) {
            if (!(t.getValue() instanceof Expr.Const(double k)) || Math.abs(k) != 1) continue;
            // k * i + rest OP 0  ->  i OP' -k * rest
            Affine rest = d.without(t.getKey());
            Expr bound = (k == 1 ? rest.scale(new Expr.Const(-1)) : rest).expr();
            Expr.Op o = k == 1 ? op : flip(op);
            if (o == Expr.Op.EQ) {
                out.add(new Bound(t.getKey(), Expr.Op.GE, bound, conjunct));
                out.add(new Bound(t.getKey(), Expr.Op.LE, bound, conjunct));
            } else {
                out.add(new Bound(t.getKey(), o, bound, conjunct));
            }
        }
        return out.isEmpty() ? null : out;
    }

    private static Expr.Op flip(Expr.Op op) {
        return switch (op) {
            case LT -> Expr.Op.GT;
            case LE -> Expr.Op.GE;
            case GT -> Expr.Op.LT;
            case GE -> Expr.Op.LE;
            default -> op;
        };
    }

    /** When no inner value in {@code [0, T - 1]} meets the bound. */
    private static Expr skipWhen(Bound b, String inner) {
        Expr last = Affine.add(new Expr.ExtentRef(inner), new Expr.Const(-1));
        return switch (b.op()) {
            case LE -> cmp(Expr.Op.LT, b.bound(), Affine.ZERO);     // inner <= e, e < 0
            case LT -> cmp(Expr.Op.LE, b.bound(), Affine.ZERO);     // inner < e, e <= 0
            case GE -> cmp(Expr.Op.GT, b.bound(), last);            // inner >= e, e > T - 1
            case GT -> cmp(Expr.Op.GE, b.bound(), last);            // inner > e, e >= T - 1
            default -> throw new IllegalStateException(b.op().name());
        };
    }

    /** When every inner value in {@code [0, T - 1]} meets the bound. */
    private static Expr denseWhen(Bound b, String inner) {
        Expr last = Affine.add(new Expr.ExtentRef(inner), new Expr.Const(-1));
        return switch (b.op()) {
            case LE -> cmp(Expr.Op.GE, b.bound(), last);            // inner <= e, e >= T - 1
            case LT -> cmp(Expr.Op.GT, b.bound(), last);            // inner < e, e > T - 1
            case GE -> cmp(Expr.Op.LE, b.bound(), Affine.ZERO);     // inner >= e, e <= 0
            case GT -> cmp(Expr.Op.LT, b.bound(), Affine.ZERO);     // inner > e, e < 0
            default -> throw new IllegalStateException(b.op().name());
        };
    }

    private static Expr cmp(Expr.Op op, Expr a, Expr b) {
        return new Expr.Binary(op, a, b);
    }

    private static Expr or(Expr a, Expr b) {
        return a == null ? b : new Expr.Binary(Expr.Op.OR, a, b);
    }
}
