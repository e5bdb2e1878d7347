package einc.optimizer.rewrite;

import einc.ir.Cascade;
import einc.ir.DType;
import einc.ir.Einsum;
import einc.ir.Expr;
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
 * Online softmax (Milakov and Gimelshein 2018; FuseMax Cascade 5, 2 passes to 1): splits the
 * reduced rank {@code m} of a max {@code G = max_m X} into tiles {@code (m1, m0)} and turns the
 * chain {@code G -> E = exp(Y - G) -> S_i = sum_m E * Z_i} into one recurrence over {@code m1}: a
 * local max per tile, a running max, a correction factor {@code exp(RG[m1] - RG[m1 + 1])} that
 * rescales each running sum. The statements that produce {@code X}, {@code Y} and {@code Z_i} over
 * {@code m} are tiled into the loop too. Masked and ragged tiles stay exact: a tile with no entry
 * has local max -inf, and the correction factor is 1 whenever the running max did not grow, so
 * {@code exp(-inf - -inf)} is never evaluated.
 */
public final class OnlineSoftmax implements Rewrite {

    /** The tile size when the target does not choose one. */
    public static final int DEFAULT_TILE = 64;

    private final long tile;

    public OnlineSoftmax() {
        this(DEFAULT_TILE);
    }

    public OnlineSoftmax(long tile) {
        if (tile <= 0) throw new IllegalArgumentException("tile must be positive, got " + tile);
        this.tile = tile;
    }

    @Override
    public String name() {
        return "online-softmax";
    }

    @Override
    public String summary() {
        return "max -> exp -> sum chains over m become one recurrence over tiles of m (running max, correction factor)";
    }

    /** Why a chain cannot be rewritten. */
    private static final class NotApplicable extends Exception {
        NotApplicable(String message) {
            super(message, null, false, false);
        }
    }

    /** A max over {@code m}, the exps that read it, the sums over {@code m} of those, and the statements over {@code m} they read. */
    private record Chain(String m, Einsum max, List<Einsum> exps, List<Einsum> sums, List<Einsum> producers,
                         Map<String, Integer> mPosition) {

        boolean tiled(String tensor) {
            return mPosition.containsKey(tensor);
        }

        Set<String> members() {
            Set<String> out = new LinkedHashSet<>();
            out.add(max.tensor());
            exps.forEach(e -> out.add(e.tensor()));
            sums.forEach(s -> out.add(s.tensor()));
            return out;
        }
    }

    @Override
    public Result apply(Cascade c) {
        List<String> reasons = new ArrayList<>();
        for (Einsum s : c.statements()) {
            if (s.init() || s.reduceOp() != ReduceOp.MAX) continue;
            try {
                Chain chain = chain(c, s);
                return rewrite(c, chain);
            } catch (NotApplicable why) {
                reasons.add(s.tensor() + ": " + why.getMessage());
            }
        }
        return Result.notApplicable(c, reasons.isEmpty() ? "no max reduction" : String.join("; ", reasons));
    }

    // --- finding the chain

    private static Chain chain(Cascade c, Einsum g) throws NotApplicable {
        if (g.reducedIndices().size() != 1) throw new NotApplicable("it reduces " + g.reducedIndices() + ", not one index");
        String m = g.reducedIndices().getFirst();
        if (c.iterativeIndices().contains(m)) throw new NotApplicable(m + " is already iterative");
        // tiles of an inner split part can lie wholly past the end of the parent, and an empty tile must still give -inf and 0
        if (c.index(m).map(IndexDef::rule).orElse(null) instanceof IndexDef.SplitInner)
            throw new NotApplicable(m + " is the inner part of a split (its tiles can lie past the end of the parent)");
        if (!Rewriting.plainTarget(g) || c.tensorOrThrow(g.tensor()).isIterative()) throw new NotApplicable("its target is not plain indices");
        // a filtered max over an empty row is absent, a running max is -inf: the two differ
        if (g.where() != null) throw new NotApplicable("it has a where-condition of its own (mask the statement that produces the scores instead)");
        List<Einsum> overM = c.statements().stream().filter(s -> !s.init() && c.iterationSpace(s).contains(m)).toList();
        List<Einsum> exps = new ArrayList<>(), sums = new ArrayList<>();
        for (Einsum s : overM) if (s != g && Rewriting.reads(s).contains(g.tensor())) exps.add(s);
        if (exps.isEmpty()) throw new NotApplicable("no statement over " + m + " reads it");
        Map<String, Integer> mPosition = new LinkedHashMap<>();
        for (Einsum e : exps) {
            checkTiledStatement(c, e, m, "the exponential " + e.tensor());
            if (e.reduction() != null) throw new NotApplicable(e.tensor() + " reads it and reduces " + e.reducedIndices());
            if (Rewriting.mentions(e.where(), g.tensor())) throw new NotApplicable(e.tensor() + " reads it in its condition");
            if (!scaledByExpOfMinus(e.body(), g.tensor(), m))
                throw new NotApplicable(e.tensor() + " is not exp(Y - " + g.tensor() + ") times factors free of " + g.tensor());
            mPosition.put(e.tensor(), Rewriting.targetNames(e).indexOf(m));
        }
        for (Einsum e : exps)
            for (Einsum s : c.statements()) {
                if (s == e || !Rewriting.reads(s).contains(e.tensor())) continue;
                if (sums.contains(s)) throw new NotApplicable(s.tensor() + " reads two exponentials");
                checkSum(c, s, m, g, exps);
                sums.add(s);
            }
        for (Einsum e : exps)
            if (c.tensorOrThrow(e.tensor()).role() == TensorDecl.Role.OUTPUT) throw new NotApplicable(e.tensor() + " is an output, so it must stay whole");
        if (sums.isEmpty()) throw new NotApplicable("no sum over " + m + " reads " + exps.getFirst().tensor());
        // the statements over m that the chain reads, transitively
        List<Einsum> producers = new ArrayList<>();
        List<Einsum> work = new ArrayList<>(List.of(g));
        work.addAll(exps);
        work.addAll(sums);
        Set<String> chainTensors = new LinkedHashSet<>();
        work.forEach(s -> chainTensors.add(s.tensor()));
        for (int i = 0; i < work.size(); i++) {
            for (String t : Rewriting.reads(work.get(i))) {
                if (chainTensors.contains(t) || mPosition.containsKey(t)) continue;
                Einsum def = c.definition(t).orElse(null);
                if (def == null || !overM.contains(def)) continue;
                if (!def.targetIndices().contains(m))
                    throw new NotApplicable(work.get(i).tensor() + " reads " + t + ", which reduces " + m + " (a pass of its own)");
                checkTiledStatement(c, def, m, t);
                if (Rewriting.mentions(def.body(), g.tensor()) || Rewriting.mentions(def.where(), g.tensor()))
                    throw new NotApplicable(t + " reads " + g.tensor());
                mPosition.put(t, Rewriting.targetNames(def).indexOf(m));
                producers.add(def);
                work.add(def);
            }
        }
        producers.sort((a, b) -> Integer.compare(c.statements().indexOf(a), c.statements().indexOf(b)));
        Chain chain = new Chain(m, g, exps, sums, producers, mPosition);
        // every read of a tiled tensor inside the loop must be at plain m
        for (Einsum s : work)
            for (Expr.Access a : Rewriting.accesses(s)) {
                Integer k = mPosition.get(a.tensor());
                if (k == null) continue;
                for (int j = 0; j < a.indices().size(); j++) {
                    IndexExpr ix = a.indices().get(j);
                    boolean ok = j == k ? m.equals(ix.plainIndex()) : !Rewriting.mentionsIndex(ix, m);
                    if (!ok) throw new NotApplicable(s.tensor() + " reads " + a.tensor() + " at a position other than plain " + m);
                }
            }
        // statements over m outside the chain must not read inside it
        for (Einsum s : c.statements()) {
            if (work.contains(s) || s.init()) continue;
            for (Einsum e : exps)
                if (Rewriting.reads(s).contains(e.tensor())) throw new NotApplicable(s.tensor() + " reads " + e.tensor() + " but is not a sum over " + m);
        }
        return chain;
    }

    /** A statement that gets a tiled copy: plain target holding {@code m}, not a recurrence. */
    private static void checkTiledStatement(Cascade c, Einsum s, String m, String what) throws NotApplicable {
        if (!Rewriting.plainTarget(s) || c.tensorOrThrow(s.tensor()).isIterative())
            throw new NotApplicable(what + " does not have a plain target");
        if (!Rewriting.targetNames(s).contains(m)) throw new NotApplicable(what + " does not keep " + m);
    }

    /** A sum over exactly {@code m} whose body is a product with one factor an exponential of the chain. */
    private static void checkSum(Cascade c, Einsum s, String m, Einsum g, List<Einsum> exps) throws NotApplicable {
        String at = s.tensor() + " reads " + exps.getFirst().tensor() + " but ";
        if (s.init() || s.reduceOp() != ReduceOp.SUM || !s.reducedIndices().equals(List.of(m)))
            throw new NotApplicable(at + "is not a sum over " + m + " alone (defer-normalization first?)");
        if (!Rewriting.plainTarget(s) || c.tensorOrThrow(s.tensor()).isIterative()) throw new NotApplicable(at + "does not have a plain target");
        if (s.where() != null) throw new NotApplicable(at + "has a where-condition of its own (mask the scores instead)");
        if (Rewriting.mentions(s.body(), g.tensor()) || Rewriting.mentions(s.where(), g.tensor()))
            throw new NotApplicable(at + "also reads " + g.tensor());
        int found = 0;
        for (Expr f : Rewriting.factors(s.body())) {
            boolean isExp = f instanceof Expr.Access a && exps.stream().anyMatch(e -> e.tensor().equals(a.tensor()));
            boolean mentions = exps.stream().anyMatch(e -> Rewriting.mentions(f, e.tensor()));
            if (isExp) found++;
            else if (mentions) throw new NotApplicable(at + "not as a factor of its product");
        }
        if (found != 1) throw new NotApplicable(at + "not exactly once");
        for (Einsum e : exps)
            if (Rewriting.mentions(s.where(), e.tensor())) throw new NotApplicable(at + "in its condition");
    }

    /** Whether {@code e} is {@code exp(Y - G[..])}, times or divided by factors that do not read {@code G}. */
    private static boolean scaledByExpOfMinus(Expr e, String g, String m) {
        return switch (e) {
            case Expr.Unary(Expr.Fn fn, Expr.Binary(Expr.Op op, Expr y, Expr.Access a))
                    when fn == Expr.Fn.EXP && op == Expr.Op.SUB && a.tensor().equals(g) ->
                    !Rewriting.mentions(y, g) && a.indices().stream().noneMatch(ix -> Rewriting.mentionsIndex(ix, m));
            case Expr.Binary(Expr.Op op, Expr x, Expr y) when op == Expr.Op.MUL ->
                    scaledByExpOfMinus(x, g, m) && !Rewriting.mentions(y, g) || scaledByExpOfMinus(y, g, m) && !Rewriting.mentions(x, g);
            case Expr.Binary(Expr.Op op, Expr x, Expr y) when op == Expr.Op.DIV -> scaledByExpOfMinus(x, g, m) && !Rewriting.mentions(y, g);
            default -> false;
        };
    }

    // --- building the recurrence

    private Result rewrite(Cascade c, Chain ch) {
        String m = ch.m();
        Set<String> taken = Rewriting.taken(c);
        String m1 = Rewriting.freshIndex(m + "1", taken), m0 = Rewriting.freshIndex(m + "0", taken);
        IndexExpr tileExpr = new IndexExpr.Lit(tile);
        Tiler t = new Tiler(c, ch, m1, m0, taken);

        Einsum g = ch.max();
        TensorDecl gDecl = c.tensorOrThrow(g.tensor());
        int gAt = t.recurrencePosition(gDecl);
        String lg = Rewriting.fresh("L" + g.tensor(), taken), rg = Rewriting.fresh("R" + g.tensor(), taken),
                cg = Rewriting.fresh("C" + g.tensor(), taken);
        List<TensorDecl> newDecls = new ArrayList<>();
        List<Einsum> inits = new ArrayList<>(), loop = new ArrayList<>();
        Map<String, Integer> counters = new LinkedHashMap<>();

        // tiled copies of the statements over m that feed the chain
        for (Einsum p : ch.producers()) {
            newDecls.add(t.tiledDecl(p));
            loop.add(t.tiledElementwise(p));
        }
        // LG[m1, ..] = max_m0 X ; RG[m1 + 1, ..] = max(RG[m1, ..], LG[m1, ..]) ; CG = correction factor
        List<IndexExpr> gIdx = g.target().indices();
        newDecls.add(Rewriting.intermediate(lg, insert(gDecl.ranks(), gAt, Rank.of(m1)), DType.F32));
        newDecls.add(Rewriting.intermediate(rg, insert(gDecl.ranks(), gAt, new Rank(m1, true)), DType.F32));
        newDecls.add(Rewriting.intermediate(cg, insert(gDecl.ranks(), gAt, Rank.of(m1)), DType.F32));
        Expr.Access lgAt = Rewriting.access(lg, insert(gIdx, gAt, new IndexExpr.Idx(m1)));
        Expr.Access rgNow = Rewriting.access(rg, insert(gIdx, gAt, new IndexExpr.Idx(m1)));
        Expr.Access rgNext = Rewriting.access(rg, insert(gIdx, gAt, Rewriting.plus1(m1)));
        inits.add(new Einsum(rgNow, new Expr.Const(Double.NEGATIVE_INFINITY), null, null, true, Span.NONE));
        loop.add(t.localReduction(g, lgAt, ReduceOp.MAX));
        loop.add(Rewriting.statement(rgNext, new Expr.Binary(Expr.Op.MAX, rgNow, lgAt), null, null));
        // CG = exp(RG[m1] - RG[m1 + 1]) where the max grew, else exactly 1 (no -inf - -inf)
        loop.add(Rewriting.statement(Rewriting.access(cg, insert(gIdx, gAt, new IndexExpr.Idx(m1))),
                new Expr.Select(new Expr.Binary(Expr.Op.LT, rgNow, rgNext), Rewriting.exp(Rewriting.sub(rgNow, rgNext)), new Expr.Const(1)),
                null, null));
        // tiled exponentials read the running max instead of the max
        for (Einsum e : ch.exps()) {
            newDecls.add(t.tiledDecl(e));
            loop.add(t.tiledElementwise(e, a -> a.tensor().equals(g.tensor())
                    ? Rewriting.access(rg, insert(a.indices(), gAt, Rewriting.plus1(m1))) : a));
        }
        // LS[m1, ..] = sum_m0 E * Z ; RS[m1 + 1, ..] = LS[m1, ..] + RS[m1, ..] * CG[m1, ..]
        Map<String, String> running = new LinkedHashMap<>();
        List<Einsum> updates = new ArrayList<>();
        for (Einsum s : ch.sums()) {
            TensorDecl sDecl = c.tensorOrThrow(s.tensor());
            int sAt = t.recurrencePosition(sDecl);
            String ls = Rewriting.fresh("L" + s.tensor(), taken), rs = Rewriting.fresh("R" + s.tensor(), taken);
            running.put(s.tensor(), rs);
            newDecls.add(Rewriting.intermediate(ls, insert(sDecl.ranks(), sAt, Rank.of(m1)), DType.F32));
            newDecls.add(Rewriting.intermediate(rs, insert(sDecl.ranks(), sAt, new Rank(m1, true)), DType.F32));
            List<IndexExpr> sIdx = s.target().indices();
            Expr.Access lsAt = Rewriting.access(ls, insert(sIdx, sAt, new IndexExpr.Idx(m1)));
            Expr.Access rsNow = Rewriting.access(rs, insert(sIdx, sAt, new IndexExpr.Idx(m1)));
            Expr.Access rsNext = Rewriting.access(rs, insert(sIdx, sAt, Rewriting.plus1(m1)));
            inits.add(new Einsum(rsNow, new Expr.Const(0), null, null, true, Span.NONE));
            loop.add(t.localReduction(s, lsAt, ReduceOp.SUM));
            Expr.Access cgAt = Rewriting.access(cg, insert(maxIndicesIn(c, s, ch), gAt, new IndexExpr.Idx(m1)));
            updates.add(Rewriting.statement(rsNext, Rewriting.add(lsAt, Rewriting.mul(rsNow, cgAt)), null, null));
        }
        loop.addAll(updates);
        running.put(g.tensor(), rg);

        // place: what does not depend on the chain, the recurrence, then the rest reading final entries
        Set<String> chainTensors = ch.members();
        Set<String> dependent = new LinkedHashSet<>(chainTensors);
        List<Einsum> before = new ArrayList<>(), after = new ArrayList<>();
        for (Einsum s : c.statements()) {
            if (chainTensors.contains(s.tensor())) continue;
            boolean depends = Rewriting.reads(s).stream().anyMatch(dependent::contains);
            if (depends) {
                dependent.add(s.tensor());
                after.add(t.finalEntries(s, running));
            } else {
                before.add(s);
            }
        }
        // an output of the chain is copied from the final entry of its recurrence
        List<Einsum> copies = new ArrayList<>();
        for (String out : chainTensors) {
            TensorDecl d = c.tensorOrThrow(out);
            if (d.role() != TensorDecl.Role.OUTPUT) continue;
            Einsum def = c.definition(out).orElseThrow();
            Expr.Access self = def.target();
            copies.add(Rewriting.statement(self, t.finalEntry(self, running.get(out)), null, null));
        }
        List<Einsum> statements = new ArrayList<>(before);
        statements.addAll(inits);
        statements.addAll(loop);
        statements.addAll(copies);
        statements.addAll(after);

        List<TensorDecl> decls = new ArrayList<>();
        for (TensorDecl d : c.intermediates()) if (!chainTensors.contains(d.name())) decls.add(d);
        decls.addAll(newDecls);
        List<Split> splits = new ArrayList<>(c.splits());
        splits.add(new Split(m, m1, m0, tileExpr, Span.NONE));
        List<IndexDef> indices = new ArrayList<>(c.indices());
        indices.add(new IndexDef(m1, new IndexDef.SplitOuter(m, tileExpr), Span.NONE));
        indices.add(new IndexDef(m0, new IndexDef.SplitInner(m, tileExpr), Span.NONE));
        Cascade out = new Cascade(c.name(), c.batchRanks(), c.inputs(), c.outputs(), decls, c.params(), splits, indices, statements, c.span());

        counters.put("tiled", ch.producers().size() + ch.exps().size());
        counters.put("running sums", ch.sums().size());
        counters.put("tile", (int) tile);
        List<String> changes = new ArrayList<>();
        changes.add("split " + m + " = (" + m1 + ", " + m0 + ") by " + tile);
        changes.add(g.tensor() + ": max over " + m + " became the running max " + rg + " over " + m1 + " (local max " + lg
                + ", correction " + cg + ")");
        for (Einsum s : ch.sums())
            changes.add(s.tensor() + ": sum over " + m + " became the running sum " + running.get(s.tensor()) + ", rescaled by " + cg);
        if (!ch.producers().isEmpty() || !ch.exps().isEmpty()) {
            List<String> names = new ArrayList<>();
            ch.producers().forEach(p -> names.add(p.tensor()));
            ch.exps().forEach(p -> names.add(p.tensor()));
            changes.add("tiled into the loop over " + m1 + ": " + String.join(", ", names));
        }
        return Result.changed(out, counters, changes);
    }

    /** The indices of the max, as the sum {@code s} sees them through the exponential it reads. */
    private static List<IndexExpr> maxIndicesIn(Cascade c, Einsum s, Chain ch) {
        for (Expr f : Rewriting.factors(s.body())) {
            if (!(f instanceof Expr.Access a)) continue;
            for (Einsum e : ch.exps()) {
                if (!e.tensor().equals(a.tensor())) continue;
                Map<String, IndexExpr> rename = new LinkedHashMap<>();
                List<String> vars = Rewriting.targetNames(e);
                for (int k = 0; k < vars.size(); k++) rename.put(vars.get(k), a.indices().get(k));
                Expr.Access g = Rewriting.accesses(e.body(), ch.max().tensor()).getFirst();
                return g.indices().stream().map(ix -> Rewriting.substitute(ix, rename)).toList();
            }
        }
        throw new IllegalStateException("sum " + s.tensor() + " reads no exponential");
    }

    private static <T> List<T> insert(List<T> list, int at, T x) {
        List<T> out = new ArrayList<>(list);
        out.add(at, x);
        return out;
    }

    /** Rewrites statements of the chain into their tiled form: {@code m -> m1 * M0 + m0}, tiled tensors read at {@code (m1, m0)}. */
    private static final class Tiler {
        private final Cascade c;
        private final Chain ch;
        private final String m1, m0;
        private final Map<String, String> tiledName = new LinkedHashMap<>();
        private final Map<String, IndexExpr> sigma;

        Tiler(Cascade c, Chain ch, String m1, String m0, Set<String> taken) {
            this.c = c;
            this.ch = ch;
            this.m1 = m1;
            this.m0 = m0;
            for (String t : ch.mPosition().keySet()) tiledName.put(t, Rewriting.fresh("B" + t, taken));
            this.sigma = Map.of(ch.m(), Rewriting.splitPosition(m1, m0));
        }

        /** Where the iterative rank goes in a tensor: after its leading batch ranks. */
        int recurrencePosition(TensorDecl d) {
            int k = 0;
            while (k < d.arity() && c.batchRanks().contains(d.ranks().get(k).index())) k++;
            return k;
        }

        TensorDecl tiledDecl(Einsum s) {
            TensorDecl d = c.tensorOrThrow(s.tensor());
            int k = ch.mPosition().get(s.tensor());
            List<Rank> ranks = new ArrayList<>(d.ranks());
            ranks.set(k, Rank.of(m0));
            ranks.add(k, Rank.of(m1));
            return Rewriting.intermediate(tiledName.get(s.tensor()), ranks, DType.F32);
        }

        Einsum tiledElementwise(Einsum s) {
            return tiledElementwise(s, a -> a);
        }

        /** The tiled copy of an element-wise (in m) statement; {@code first} rewrites accesses before tiling. */
        Einsum tiledElementwise(Einsum s, java.util.function.UnaryOperator<Expr.Access> first) {
            int k = ch.mPosition().get(s.tensor());
            List<IndexExpr> target = new ArrayList<>(s.target().indices());
            target.set(k, new IndexExpr.Idx(m0));
            target.add(k, new IndexExpr.Idx(m1));
            Expr body = tile(Rewriting.replaceAccesses(s.body(), first::apply));
            Expr where = tile(Rewriting.replaceAccesses(s.where(), first::apply));
            if (!bounded(s)) where = Rewriting.and(where, inRange());
            return Rewriting.statement(Rewriting.access(tiledName.get(s.tensor()), target), body, s.reduction(), where);
        }

        /** {@code target = op_m0 body} over one tile; a condition becomes a select with the identity so an empty tile gives the identity. */
        Einsum localReduction(Einsum s, Expr.Access target, ReduceOp op) {
            Expr body = tile(s.body());
            Expr cond = tile(s.where());
            if (!bounded(s)) cond = Rewriting.and(cond, inRange());
            if (cond != null) body = new Expr.Select(cond, body, new Expr.Const(op.identity()));
            return Rewriting.statement(target, body, new Reduction(op, List.of(m0)), null);
        }

        /** Tiled tensors read at (m1, m0), then m -> m1 * M0 + m0 everywhere else. */
        private Expr tile(Expr e) {
            if (e == null) return null;
            Expr replaced = Rewriting.replaceAccesses(e, a -> {
                Integer k = ch.mPosition().get(a.tensor());
                if (k == null) return a;
                List<IndexExpr> ix = new ArrayList<>(a.indices());
                ix.set(k, new IndexExpr.Idx(m0));
                ix.add(k, new IndexExpr.Idx(m1));
                return Rewriting.access(tiledName.get(a.tensor()), ix);
            });
            return Rewriting.substitute(replaced, sigma);
        }

        /** {@code m1 * M0 + m0 < M}: the guard of a statement that nothing else keeps inside m. */
        private Expr inRange() {
            return new Expr.Binary(Expr.Op.LT, Rewriting.value(Rewriting.splitPosition(m1, m0)), new Expr.ExtentRef(ch.m()));
        }

        /**
         * Whether the ragged end of the last tile vanishes by itself: the statement reads some tensor
         * at plain {@code m} outside the branches of a select (an input then falls outside its
         * extent, a tiled intermediate is absent there).
         */
        private boolean bounded(Einsum s) {
            return readsAtPlain(s.body()) || s.where() != null && readsAtPlain(s.where());
        }

        private boolean readsAtPlain(Expr e) {
            return switch (e) {
                case Expr.Access a -> a.indices().stream().anyMatch(ix -> ch.m().equals(ix.plainIndex()));
                case Expr.Unary(Expr.Fn fn, Expr x) -> readsAtPlain(x);
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> op.isLogic() ? readsAtPlain(a) : readsAtPlain(a) || readsAtPlain(b);
                case Expr.Select(Expr cond, Expr a, Expr b) -> readsAtPlain(cond);
                default -> false;
            };
        }

        /** {@code s} with reads of the chain's results replaced by the final entries of their recurrences. */
        Einsum finalEntries(Einsum s, Map<String, String> running) {
            java.util.function.Function<Expr.Access, Expr> f = a -> running.containsKey(a.tensor()) ? finalEntry(a, running.get(a.tensor())) : a;
            return new Einsum(s.target(), Rewriting.replaceAccesses(s.body(), f), s.reduction(),
                    Rewriting.replaceAccesses(s.where(), f), s.init(), s.span());
        }

        /** {@code X[i, j]} read as {@code RX[M1, i, j]}. */
        Expr.Access finalEntry(Expr.Access a, String recurrence) {
            int at = recurrencePosition(c.tensorOrThrow(a.tensor()));
            return Rewriting.access(recurrence, insert(a.indices(), at, new IndexExpr.Ext(m1)));
        }
    }

    /** The tile size this rewrite splits with. */
    public long tile() {
        return tile;
    }
}
