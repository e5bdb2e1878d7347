package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.ReduceOp;
import einc.ir.Reduction;
import einc.ir.Span;
import einc.ir.Split;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prefix sums to chunked recurrences (Lightning Attention, Qin et al. 2024): in
 * {@code T[p, f] = sum_m S[m, p] * Y[m, f]} with {@code S = sum_e A[p, e] * B[m, e] where m <= p},
 * the keys before the query's chunk are folded into a running state
 * {@code H[m1 + 1, e, f] = H[m1, e, f] + sum_m0 B * Y} (one recurrence over chunks of m), and only
 * the query's own chunk is summed densely under the mask. The cost drops from O(P·M·E) to
 * O(P·E·F + M·E·F + P·C·E) for chunk size C. Queries past the last key ({@code p >= M}) read the
 * final state and no chunk.
 */
public final class PrefixToRecurrence implements Rewrite {

    private final long tile;

    public PrefixToRecurrence() {
        this(OnlineSoftmax.DEFAULT_TILE);
    }

    public PrefixToRecurrence(long tile) {
        if (tile <= 0) throw new IllegalArgumentException("tile must be positive, got " + tile);
        this.tile = tile;
    }

    @Override
    public String name() {
        return "prefix-to-recurrence";
    }

    @Override
    public String summary() {
        return "a sum under where m <= p becomes a chunked recurrence (dense within a chunk, a running state across chunks)";
    }

    /** Why a sum cannot be chunked. */
    private static final class NotApplicable extends Exception {
        NotApplicable(String message) {
            super(message, null, false, false);
        }
    }

    /** A sum {@code T} over {@code m} of a masked separable product: the factors with {@code p}, those without, and the inlined reduced indices. */
    private record Prefix(Einsum t, String m, String p, List<Expr> queries, List<Expr> keys, List<String> contracted) {}

    @Override
    public Result apply(Cascade c) {
        List<String> reasons = new ArrayList<>();
        List<Prefix> found = new ArrayList<>();
        for (Einsum t : c.statements()) {
            if (t.init() || t.reduceOp() != ReduceOp.SUM || !Rewriting.plainTarget(t)) continue;
            try {
                Prefix f = match(c, t);
                if (f != null) found.add(f);
            } catch (NotApplicable why) {
                reasons.add(t.tensor() + ": " + why.getMessage());
            }
        }
        if (found.isEmpty()) return Result.notApplicable(c, reasons.isEmpty() ? "no sum over m of a product masked by m <= p" : String.join("; ", reasons));
        // one pair of splits for the first (m, p); other pairs wait for another run
        String m = found.getFirst().m(), p = found.getFirst().p();
        found.removeIf(f -> !f.m().equals(m) || !f.p().equals(p));
        return rewrite(c, found, m, p);
    }

    private static Prefix match(Cascade c, Einsum t) throws NotApplicable {
        List<Expr> factors = Rewriting.factors(t.body());
        // X[p, ..] = sum_m Y[m, ..] where m <= p: a prefix sum written directly
        if (t.where() instanceof Expr.Binary(Expr.Op op, Expr.IndexValue(String m), Expr.IndexValue(String p))
                && op == Expr.Op.LE && t.reducedIndices().equals(List.of(m)) && t.targetIndices().contains(p)
                && !c.tensorOrThrow(t.tensor()).isIterative()) {
            for (String ix : List.of(m, p))
                if (!(c.index(ix).map(IndexDef::rule).orElse(null) instanceof IndexDef.Bound))
                    throw new NotApplicable(ix + " is a part of a split");
            for (Expr f : factors)
                if (Exprs.indices(f).contains(p)) throw new NotApplicable("a factor of the prefix sum depends on " + p);
            return new Prefix(t, m, p, List.of(), factors, List.of());
        }
        for (int i = 0; i < factors.size(); i++) {
            if (!(factors.get(i) instanceof Expr.Access sa)) continue;
            Einsum s = c.definition(sa.tensor()).orElse(null);
            TensorDecl sd = c.tensor(sa.tensor()).orElse(null);
            if (s == null || sd == null || sd.role() != TensorDecl.Role.INTERMEDIATE || sd.isIterative() || s.where() == null) continue;
            if (!Rewriting.plainTarget(s)) continue;
            // S[m, p] read with plain distinct indices: its variables become T's
            Map<String, IndexExpr> rename = new LinkedHashMap<>();
            List<String> vars = Rewriting.targetNames(s);
            Set<String> seen = new LinkedHashSet<>();
            for (int k = 0; k < vars.size(); k++) {
                String ix = sa.indices().get(k).plainIndex();
                if (ix == null || !seen.add(ix)) throw new NotApplicable(sa.tensor() + " is read at shifted positions");
                rename.put(vars.get(k), new IndexExpr.Idx(ix));
            }
            Set<String> space = new LinkedHashSet<>(t.space());
            for (String e : s.reducedIndices()) {
                if (space.contains(e)) throw new NotApplicable("index " + e + " of " + s.tensor() + " is also an index of the sum");
                rename.put(e, new IndexExpr.Idx(e));
            }
            Expr where = Rewriting.substitute(s.where(), rename);
            if (!(where instanceof Expr.Binary(Expr.Op op, Expr.IndexValue(String m), Expr.IndexValue(String p)) && op == Expr.Op.LE))
                throw new NotApplicable(s.tensor() + "'s condition is not m <= p");
            if (!t.reducedIndices().equals(List.of(m))) throw new NotApplicable("it sums over " + t.reducedIndices() + ", not " + m + " alone");
            if (t.where() != null) throw new NotApplicable("it has a where-condition of its own");
            if (!t.targetIndices().contains(p)) throw new NotApplicable("it does not keep " + p);
            if (s.reduceOp() != null && s.reduceOp() != ReduceOp.SUM) throw new NotApplicable(s.tensor() + " is not a sum");
            for (String ix : List.of(m, p))
                if (!(c.index(ix).map(IndexDef::rule).orElse(null) instanceof IndexDef.Bound))
                    throw new NotApplicable(ix + " is a part of a split");
            List<Expr> queries = new ArrayList<>(), keys = new ArrayList<>();
            for (Expr f : Rewriting.factors(s.body())) {
                if (!(f instanceof Expr.Access || f instanceof Expr.Const || f instanceof Expr.ParamRef || f instanceof Expr.ExtentRef))
                    throw new NotApplicable(s.tensor() + " applies a non-linear step (" + einc.ir.Printer.print(f) + ")");
                Expr g = Rewriting.substitute(f, rename);
                Set<String> ix = Exprs.indices(g);
                if (ix.contains(m) && ix.contains(p)) throw new NotApplicable(s.tensor() + " has a factor over both " + m + " and " + p);
                (ix.contains(p) ? queries : keys).add(g);
            }
            for (int j = 0; j < factors.size(); j++) {
                if (j == i) continue;
                if (Exprs.indices(factors.get(j)).contains(p)) throw new NotApplicable("a factor other than " + s.tensor() + " depends on " + p);
                keys.add(factors.get(j));
            }
            if (queries.isEmpty()) throw new NotApplicable("no factor of " + s.tensor() + " depends on " + p);
            return new Prefix(t, m, p, queries, keys, s.reducedIndices());
        }
        return null;
    }

    private Result rewrite(Cascade c, List<Prefix> prefixes, String m, String p) {
        Set<String> taken = Rewriting.taken(c);
        String m1 = Rewriting.freshIndex(m + "1", taken), m0 = Rewriting.freshIndex(m + "0", taken);
        String p1 = Rewriting.freshIndex(p + "1", taken), p0 = Rewriting.freshIndex(p + "0", taken);
        IndexExpr tileExpr = new IndexExpr.Lit(tile);
        Map<String, IndexExpr> keyChunk = Map.of(m, Rewriting.splitPosition(m1, m0));
        Map<String, IndexExpr> queryInChunk = Map.of(p, Rewriting.splitPosition(p1, p0));
        Map<String, IndexExpr> keyInQueryChunk = Map.of(m, new IndexExpr.IBin(IndexExpr.IOp.ADD,
                new IndexExpr.IBin(IndexExpr.IOp.MUL, new IndexExpr.Idx(p1), new IndexExpr.Ext(m0)), new IndexExpr.Idx(m0)));
        Expr beforeLastKey = new Expr.Binary(Expr.Op.LT, new Expr.IndexValue(p), new Expr.ExtentRef(m));

        List<TensorDecl> decls = new ArrayList<>(c.intermediates());
        List<Einsum> inits = new ArrayList<>(), loop = new ArrayList<>();
        Map<String, List<Einsum>> replacement = new LinkedHashMap<>();
        List<String> changes = new ArrayList<>();
        for (Prefix f : prefixes) {
            Einsum t = f.t();
            Set<String> target = new LinkedHashSet<>(t.targetIndices());
            Set<String> queryIx = new LinkedHashSet<>();
            f.queries().forEach(q -> queryIx.addAll(Exprs.indices(q)));
            // the state: the key side's indices that the query side or the target still needs
            List<String> state = new ArrayList<>();
            for (Expr k : f.keys())
                for (String ix : Exprs.indices(k))
                    if (!ix.equals(m) && (queryIx.contains(ix) || target.contains(ix)) && !state.contains(ix)) state.add(ix);
            state = new ArrayList<>(Rewriting.withBatch(c, state));
            int at = 0;
            while (at < state.size() && c.batchRanks().contains(state.get(at))) at++;
            String h = Rewriting.fresh("H" + t.tensor(), taken), lh = Rewriting.fresh("LH" + t.tensor(), taken);
            List<Rank> hRanks = new ArrayList<>(state.stream().map(Rank::of).toList());
            hRanks.add(at, new Rank(m1, true));
            List<Rank> lhRanks = new ArrayList<>(state.stream().map(Rank::of).toList());
            lhRanks.add(at, Rank.of(m1));
            decls.add(Rewriting.intermediate(h, hRanks, DType.F32));
            decls.add(Rewriting.intermediate(lh, lhRanks, DType.F32));
            List<IndexExpr> stateIx = Rewriting.plain(state);
            Expr.Access hNow = Rewriting.access(h, insert(stateIx, at, new IndexExpr.Idx(m1)));
            Expr.Access hNext = Rewriting.access(h, insert(stateIx, at, Rewriting.plus1(m1)));
            Expr.Access lhAt = Rewriting.access(lh, insert(stateIx, at, new IndexExpr.Idx(m1)));
            // H[m1 + 1] = H[m1] + sum over the chunk of the key side
            inits.add(new Einsum(hNow, new Expr.Const(0), null, null, true, Span.NONE));
            Expr keyBody = Rewriting.substitute(Rewriting.product(f.keys()), keyChunk);
            // a chunk past the end of m must add nothing: guard it unless a read at plain m already does
            boolean bounded = f.keys().stream().anyMatch(k -> readsAtPlain(k, m));
            Expr guard = bounded ? null : new Expr.Binary(Expr.Op.LT, Rewriting.value(Rewriting.splitPosition(m1, m0)), new Expr.ExtentRef(m));
            loop.add(withSum(lhAt, keyBody, guard));
            loop.add(Rewriting.statement(hNext, Rewriting.add(hNow, lhAt), null, null));
            // after the loop: the state before the query's chunk, and the query's chunk under the mask
            TensorDecl td = c.tensorOrThrow(t.tensor());
            String inter = Rewriting.fresh("I" + t.tensor(), taken), intra = Rewriting.fresh("C" + t.tensor(), taken);
            decls.add(Rewriting.intermediate(inter, td.ranks(), DType.F32));
            List<Rank> chunkRanks = new ArrayList<>();
            List<IndexExpr> chunkTarget = new ArrayList<>(), chunkRead = new ArrayList<>();
            for (int k = 0; k < td.arity(); k++) {
                String ix = t.target().indices().get(k).plainIndex();
                if (ix.equals(p)) {
                    chunkRanks.add(Rank.of(p1));
                    chunkRanks.add(Rank.of(p0));
                    chunkTarget.add(new IndexExpr.Idx(p1));
                    chunkTarget.add(new IndexExpr.Idx(p0));
                    chunkRead.add(new IndexExpr.IBin(IndexExpr.IOp.DIV, new IndexExpr.Idx(p), new IndexExpr.Ext(p0)));
                    chunkRead.add(new IndexExpr.IBin(IndexExpr.IOp.MOD, new IndexExpr.Idx(p), new IndexExpr.Ext(p0)));
                } else {
                    chunkRanks.add(td.ranks().get(k));
                    chunkTarget.add(t.target().indices().get(k));
                    chunkRead.add(t.target().indices().get(k));
                }
            }
            decls.add(Rewriting.intermediate(intra, chunkRanks, DType.F32));
            Expr query = f.queries().isEmpty() ? null : Rewriting.product(f.queries());
            Expr.Access hAtChunk = Rewriting.access(h, insert(stateIx, at,
                    new IndexExpr.IBin(IndexExpr.IOp.DIV, new IndexExpr.Idx(p), new IndexExpr.Ext(m0))));
            Expr.Access hFinal = Rewriting.access(h, insert(stateIx, at, new IndexExpr.Ext(m1)));
            Expr.Access interAt = Rewriting.access(inter, t.target().indices());
            List<Einsum> after = new ArrayList<>();
            after.add(withSum(interAt, new Expr.Select(beforeLastKey, times(query, hAtChunk), times(query, hFinal)), null));
            Expr chunkBody = times(Rewriting.substitute(query, queryInChunk), Rewriting.substitute(Rewriting.product(f.keys()), keyInQueryChunk));
            Expr mask = new Expr.Binary(Expr.Op.LE, new Expr.IndexValue(m0), new Expr.IndexValue(p0));
            after.add(withSum(Rewriting.access(intra, chunkTarget), chunkBody, mask));
            after.add(Rewriting.statement(t.target(), Rewriting.add(interAt,
                    new Expr.Select(beforeLastKey, Rewriting.access(intra, chunkRead), new Expr.Const(0))), null, null));
            replacement.put(t.tensor(), after);
            changes.add(t.tensor() + ": the prefix sum over " + m + " became the state " + h + " over chunks " + m1
                    + " (" + inter + ") plus the masked chunk of " + p + " (" + intra + ")");
        }
        List<Einsum> out = new ArrayList<>();
        List<Einsum> tail = new ArrayList<>();
        boolean placed = false;
        for (Einsum s : c.statements()) {
            List<Einsum> r = replacement.get(s.init() ? null : s.tensor());
            if (r == null) {
                (placed ? tail : out).add(s);
                continue;
            }
            if (!placed) {
                out.addAll(inits);
                out.addAll(loop);
                placed = true;
            }
            tail.addAll(r);
        }
        out.addAll(tail);
        List<Split> splits = new ArrayList<>(c.splits());
        splits.add(new Split(m, m1, m0, tileExpr, Span.NONE));
        splits.add(new Split(p, p1, p0, tileExpr, Span.NONE));
        List<IndexDef> indices = new ArrayList<>(c.indices());
        indices.add(new IndexDef(m1, new IndexDef.SplitOuter(m, tileExpr), Span.NONE));
        indices.add(new IndexDef(m0, new IndexDef.SplitInner(m, tileExpr), Span.NONE));
        indices.add(new IndexDef(p1, new IndexDef.SplitOuter(p, tileExpr), Span.NONE));
        indices.add(new IndexDef(p0, new IndexDef.SplitInner(p, tileExpr), Span.NONE));
        changes.addFirst("split " + m + " = (" + m1 + ", " + m0 + ") and " + p + " = (" + p1 + ", " + p0 + ") by " + tile);
        Map<String, Integer> counters = new LinkedHashMap<>();
        counters.put("chunked", prefixes.size());
        counters.put("chunk", (int) tile);
        Cascade result = new Cascade(c.name(), c.batchRanks(), c.inputs(), c.outputs(), decls, c.params(), splits, indices, out, c.span());
        return Result.changed(result, counters, changes);
    }

    /** Whether {@code e} reads a tensor at plain {@code m} (so a position past the end does not exist). */
    private static boolean readsAtPlain(Expr e, String m) {
        boolean[] found = {false};
        Exprs.forEach(e, n -> {
            if (n instanceof Expr.Access a && a.indices().stream().anyMatch(ix -> m.equals(ix.plainIndex()))) found[0] = true;
        });
        return found[0];
    }

    /** {@code a * b}, or {@code b} when there is no {@code a}. */
    private static Expr times(Expr a, Expr b) {
        return a == null ? b : Rewriting.mul(a, b);
    }

    /** {@code target = body} summed over every index not on the left. */
    private static Einsum withSum(Expr.Access target, Expr body, Expr where) {
        Einsum probe = Rewriting.statement(target, body, null, where);
        List<String> reduced = new ArrayList<>(probe.space());
        reduced.removeAll(probe.targetIndices());
        return Rewriting.statement(target, body, reduced.isEmpty() ? null : new Reduction(ReduceOp.SUM, reduced), where);
    }

    private static <T> List<T> insert(List<T> list, int at, T x) {
        List<T> out = new ArrayList<>(list);
        out.add(at, x);
        return out;
    }
}
