package einc.optimizer.attention;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;
import einc.ir.Rank;
import einc.ir.ReduceOp;
import einc.ir.Reduction;
import einc.ir.Split;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a cascade in the tiled online-softmax form (what {@code OnlineSoftmax} produces, or
 * FuseMax's Cascade 5 written by hand) back as the untiled cascade it computes: the running max
 * becomes a max over the whole rank, each running sum rescaled by the max's correction factor a
 * plain sum of {@code exp(s - max)}-weighted terms. The fused attention kernels implement that
 * online form themselves, one key tile at a time, so they take the optimized plan through this
 * reading; the plan's tile is kept for them.
 *
 * <p>The reading is exact only for the shapes it checks: one split {@code m = (m1, m0)}; one
 * running max {@code R[m1 + 1] = max(R[m1], L)} with {@code L} a max over {@code m0}, started at
 * -inf; running sums {@code S[m1 + 1] = L + S[m1] * C} started at 0, with {@code C} the correction
 * {@code exp(R[m1] - R[m1 + 1])} (guarded by {@code R[m1] < R[m1 + 1]} whenever a condition can
 * empty a tile) and {@code L} a sum over {@code m0} of a product with exactly one factor
 * {@code exp(x - R[m1 + 1])}; after the loop, only the final entries {@code R[M1]} are read.
 * Anything else is left alone ({@link Optional#empty()}).
 */
public final class OnlineForm {

    /** The untiled cascade, and the tile along {@code rank} that the plan chose for the keys. */
    public record Untiled(Cascade cascade, String rank, IndexExpr tile) {}

    private OnlineForm() {}

    /** The untiled reading of {@code c}, or empty when {@code c} is not in the online form. */
    public static Optional<Untiled> untile(Cascade c) {
        try {
            return Optional.of(new Reader(c).read());
        } catch (NotOnline e) {
            return Optional.empty();
        }
    }

    /** The cascade is not in the online form; a control-flow signal, never shown to users. */
    private static final class NotOnline extends Exception {
        NotOnline() {
            super(null, null, false, false);
        }
    }

    private static void require(boolean ok) throws NotOnline {
        if (!ok) throw new NotOnline();
    }

    /** What a recurrence over {@code m1} is: its statements and the local value it folds in. */
    private record Recurrence(String tensor, int position, ReduceOp op, Einsum update, String local, String correction) {}

    private static final class Reader {
        private final Cascade c;
        private final String m;
        private final String m1;
        private final String m0;
        private final IndexExpr tileStart;
        /** {@code m1 * M0 + m0} as a value, in conditions. */
        private final Expr tileStartValue;
        private final Map<String, Recurrence> recurrences = new LinkedHashMap<>();
        /** The statements that define each tensor (not inits). */
        private final Map<String, Einsum> defs = new LinkedHashMap<>();
        private Recurrence max;

        Reader(Cascade c) throws NotOnline {
            this.c = c;
            require(c.splits().size() == 1);
            Split s = c.splits().getFirst();
            this.m = s.parent();
            this.m1 = s.outer();
            this.m0 = s.inner();
            this.tileStart = new IndexExpr.IBin(IndexExpr.IOp.ADD,
                    new IndexExpr.IBin(IndexExpr.IOp.MUL, new IndexExpr.Idx(m1), new IndexExpr.Ext(m0)), new IndexExpr.Idx(m0));
            this.tileStartValue = new Expr.Binary(Expr.Op.ADD,
                    new Expr.Binary(Expr.Op.MUL, new Expr.IndexValue(m1), new Expr.ExtentRef(m0)), new Expr.IndexValue(m0));
            for (Einsum e : c.statements()) if (!e.init()) defs.put(e.tensor(), e);
        }

        Untiled read() throws NotOnline {
            findRecurrences();
            Set<String> dropped = new LinkedHashSet<>();
            for (Recurrence r : recurrences.values()) {
                dropped.add(r.local);
                if (r.correction != null) dropped.add(r.correction);
            }
            checkNoOtherReader(dropped);

            List<TensorDecl> intermediates = new ArrayList<>();
            for (TensorDecl t : c.intermediates()) {
                if (dropped.contains(t.name())) continue;
                Recurrence r = recurrences.get(t.name());
                List<Rank> ranks = new ArrayList<>(t.ranks());
                if (r != null) ranks.remove(r.position);
                intermediates.add(new TensorDecl(t.name(), untiledRanks(ranks), t.type(), t.role(), t.span()));
            }
            List<TensorDecl> outputs = new ArrayList<>();
            for (TensorDecl t : c.outputs()) {
                require(!t.indexNames().contains(m1) && !t.indexNames().contains(m0));
                outputs.add(t);
            }
            List<Einsum> body = new ArrayList<>();
            for (Einsum e : c.statements()) {
                if (e.init() || recurrences.containsKey(e.tensor())) continue;
                if (dropped.contains(e.tensor())) {
                    Recurrence r = folding(e.tensor());
                    if (r != null) body.add(wholeReduction(r, e));
                    continue;
                }
                body.add(untiled(e));
            }
            List<IndexDef> indices = c.indices().stream().filter(d -> !d.name().equals(m1) && !d.name().equals(m0)).toList();
            Cascade out = new Cascade(c.name(), c.batchRanks(), c.inputs(), outputs, intermediates, c.params(), List.of(), indices, body, c.span());
            return new Untiled(out, m, c.splits().getFirst().tile());
        }

        /** Every tensor with an iterative rank is a recurrence over m1 of a known kind. */
        private void findRecurrences() throws NotOnline {
            Map<String, Einsum> inits = new LinkedHashMap<>();
            for (Einsum e : c.statements()) {
                TensorDecl t = c.tensorOrThrow(e.tensor());
                int k = iterativePosition(t);
                if (k < 0) continue;
                require(t.ranks().get(k).index().equals(m1) && t.role() == TensorDecl.Role.INTERMEDIATE);
                if (e.init()) {
                    require(inits.put(t.name(), e) == null);
                } else {
                    require(e.target().indices().get(k).equals(next()) && e.where() == null && e.reduction() == null);
                    recurrences.put(t.name(), classify(t.name(), k, e));
                }
            }
            require(!recurrences.isEmpty() && inits.keySet().equals(recurrences.keySet()));
            for (Recurrence r : recurrences.values()) {
                Einsum init = inits.get(r.tensor);
                require(init.where() == null && init.reduction() == null && init.body() instanceof Expr.Const(double v)
                        && v == (r.op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0.0));
                if (r.op == ReduceOp.MAX) {
                    require(max == null);
                    max = r;
                }
            }
            require(max != null);
            boolean masked = c.statements().stream().anyMatch(e -> e.where() != null);
            for (Recurrence r : recurrences.values()) {
                if (r.op != ReduceOp.SUM) continue;
                checkCorrection(defs.get(r.correction), masked);
                require(hasOneExpFactor(defs.get(r.local).body()));
            }
        }

        private Recurrence classify(String tensor, int k, Einsum update) throws NotOnline {
            List<IndexExpr> own = update.target().indices();
            switch (update.body()) {
                case Expr.Binary(Expr.Op op, Expr a, Expr b) when op == Expr.Op.MAX -> {
                    Expr local = isAt(a, tensor, k, own, new IndexExpr.Idx(m1)) ? b : a;
                    require(isAt(a == local ? b : a, tensor, k, own, new IndexExpr.Idx(m1)));
                    String l = local(local, own, k, ReduceOp.MAX);
                    return new Recurrence(tensor, k, ReduceOp.MAX, update, l, null);
                }
                case Expr.Binary(Expr.Op op, Expr a, Expr b) when op == Expr.Op.ADD -> {
                    Expr scaled = b instanceof Expr.Binary(Expr.Op o, Expr x, Expr y) && o == Expr.Op.MUL ? b : a;
                    Expr local = scaled == b ? a : b;
                    require(scaled instanceof Expr.Binary(Expr.Op o, Expr x, Expr y) && o == Expr.Op.MUL);
                    Expr.Binary mul = (Expr.Binary) scaled;
                    Expr self = isAt(mul.a(), tensor, k, own, new IndexExpr.Idx(m1)) ? mul.a() : mul.b();
                    Expr corr = self == mul.a() ? mul.b() : mul.a();
                    require(isAt(self, tensor, k, own, new IndexExpr.Idx(m1)));
                    require(corr instanceof Expr.Access ca && defs.containsKey(ca.tensor()) && plainAtM1(ca));
                    String l = local(local, own, k, ReduceOp.SUM);
                    return new Recurrence(tensor, k, ReduceOp.SUM, update, l, ((Expr.Access) corr).tensor());
                }
                default -> throw new NotOnline();
            }
        }

        /** The tensor {@code x} reads, which must be a reduction over m0 with {@code op}, indexed like the recurrence at m1. */
        private String local(Expr x, List<IndexExpr> own, int k, ReduceOp op) throws NotOnline {
            require(x instanceof Expr.Access);
            Expr.Access a = (Expr.Access) x;
            Einsum def = defs.get(a.tensor());
            require(def != null && def.reduceOp() == op && def.reducedIndices().equals(List.of(m0)));
            List<IndexExpr> want = new ArrayList<>(own);
            want.set(k, new IndexExpr.Idx(m1));
            require(a.indices().equals(want) && def.target().indices().equals(want));
            return a.tensor();
        }

        /** {@code exp(R[m1] - R[m1 + 1])}, guarded by {@code R[m1] < R[m1 + 1]} where a tile can be empty. */
        private void checkCorrection(Einsum def, boolean masked) throws NotOnline {
            require(def != null && def.where() == null && def.reduction() == null);
            Expr body = def.body();
            if (body instanceof Expr.Select(Expr cond, Expr a, Expr b)) {
                require(b instanceof Expr.Const(double one) && one == 1.0);
                require(cond instanceof Expr.Binary(Expr.Op op, Expr x, Expr y) && op == Expr.Op.LT
                        && isMax(x, new IndexExpr.Idx(m1)) && isMax(y, next()));
                body = a;
            } else {
                require(!masked);
            }
            require(body instanceof Expr.Unary(Expr.Fn fn, Expr d) && fn == Expr.Fn.EXP
                    && d instanceof Expr.Binary(Expr.Op op, Expr x, Expr y) && op == Expr.Op.SUB
                    && isMax(x, new IndexExpr.Idx(m1)) && isMax(y, next()));
        }

        /**
         * Whether exactly one factor of the product {@code body} depends on the running max, as
         * {@code exp(x - R[m1 + 1])} inline or a tensor defined so, and no other factor reads a recurrence.
         */
        private boolean hasOneExpFactor(Expr body) {
            List<Expr> factors = new ArrayList<>();
            Exprs.collectOperands(body, Expr.Op.MUL, factors);
            int found = 0;
            for (Expr f : factors) {
                Einsum def = f instanceof Expr.Access a ? defs.get(a.tensor()) : null;
                if (isExpOfMax(f) || def != null && def.reduction() == null && def.where() == null && isExpOfMax(def.body())) found++;
                else if (readsRecurrent(f)) return false;
            }
            return found == 1;
        }

        private boolean isExpOfMax(Expr e) {
            return e instanceof Expr.Unary(Expr.Fn fn, Expr d) && fn == Expr.Fn.EXP
                    && d instanceof Expr.Binary(Expr.Op op, Expr x, Expr y) && op == Expr.Op.SUB
                    && isMax(y, next()) && !readsRecurrent(x);
        }

        /** No statement kept reads a dropped tensor, nor a recurrence other than its final entry. */
        private void checkNoOtherReader(Set<String> dropped) throws NotOnline {
            for (Einsum e : c.statements()) {
                if (e.init() || recurrences.containsKey(e.tensor()) || dropped.contains(e.tensor())) continue;
                boolean expDef = e.reduction() == null && e.where() == null && isExpOfMax(e.body());
                List<Expr.Access> reads = new ArrayList<>();
                Exprs.forEach(e.body(), x -> { if (x instanceof Expr.Access a) reads.add(a); });
                if (e.where() != null) Exprs.forEach(e.where(), x -> { if (x instanceof Expr.Access a) reads.add(a); });
                for (Expr.Access a : reads) {
                    require(!dropped.contains(a.tensor()));
                    Recurrence r = recurrences.get(a.tensor());
                    if (r == null) continue;
                    IndexExpr at = a.indices().get(r.position);
                    boolean finalEntry = at.equals(new IndexExpr.Ext(m1)) && !e.space().contains(m1);
                    boolean runningMax = r == max && at.equals(next()) && expDef;
                    require(finalEntry || runningMax);
                }
            }
            // A tensor defined as exp(x - R[m1 + 1]) is read only as the factor of a local sum.
            for (Einsum e : c.statements()) {
                if (e.init() || !(e.reduction() == null && e.where() == null && isExpOfMax(e.body()))) continue;
                for (Einsum reader : c.statements()) {
                    if (!Exprs.tensorsRead(reader.body()).contains(e.tensor())) continue;
                    Recurrence r = folding(reader.tensor());
                    require(r != null && r.op == ReduceOp.SUM);
                }
            }
        }

        /** The recurrence that folds in local value {@code tensor}, or null. */
        private Recurrence folding(String tensor) {
            for (Recurrence r : recurrences.values()) if (r.local.equals(tensor)) return r;
            return null;
        }

        /** {@code R[all] = body of L, reduced over m}: the running value as one reduction over the whole rank. */
        private Einsum wholeReduction(Recurrence r, Einsum local) throws NotOnline {
            List<IndexExpr> target = new ArrayList<>(r.update.target().indices());
            target.remove(r.position);
            Expr where = local.where() == null ? null : untiled(local.where());
            return new Einsum(new Expr.Access(r.tensor, target), untiled(local.body()),
                    new Reduction(r.op, List.of(m)), where, false, local.span());
        }

        private Einsum untiled(Einsum e) throws NotOnline {
            require(!e.reducedIndices().contains(m1) && !e.reducedIndices().contains(m0));
            Expr.Access target = (Expr.Access) untiled(e.target());
            Expr where = e.where() == null ? null : untiled(e.where());
            return new Einsum(target, untiled(e.body()), e.reduction(), where, false, e.span());
        }

        private Expr untiled(Expr e) throws NotOnline {
            if (e.equals(tileStartValue)) return new Expr.IndexValue(m);
            return switch (e) {
                case Expr.Access a -> untiledAccess(a);
                case Expr.IndexValue(String ix) -> {
                    require(!ix.equals(m1) && !ix.equals(m0));
                    yield e;
                }
                case Expr.ExtentRef(String ix) -> {
                    require(!ix.equals(m1) && !ix.equals(m0));
                    yield e;
                }
                case Expr.Const k -> k;
                case Expr.ParamRef p -> p;
                case Expr.Unary(Expr.Fn fn, Expr x) -> new Expr.Unary(fn, untiled(x));
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> new Expr.Binary(op, untiled(a), untiled(b));
                case Expr.Select(Expr cond, Expr a, Expr b) -> new Expr.Select(untiled(cond), untiled(a), untiled(b));
            };
        }

        private Expr.Access untiledAccess(Expr.Access a) throws NotOnline {
            List<IndexExpr> ixs = new ArrayList<>(a.indices());
            Recurrence r = recurrences.get(a.tensor());
            if (r != null) ixs.remove(r.position); // R[M1] after the loop, or the running max R[m1 + 1] in exp(x - R[m1 + 1])
            TensorDecl t = c.tensorOrThrow(a.tensor());
            List<String> ranks = new ArrayList<>(t.indexNames());
            if (r != null) ranks.remove(r.position);
            int tiled = tiledPosition(ranks);
            if (tiled >= 0) {
                require(ixs.get(tiled).equals(new IndexExpr.Idx(m1)) && ixs.get(tiled + 1).equals(new IndexExpr.Idx(m0)));
                ixs.remove(tiled + 1);
                ixs.set(tiled, new IndexExpr.Idx(m));
            }
            List<IndexExpr> out = new ArrayList<>();
            for (IndexExpr ix : ixs) {
                IndexExpr u = untiled(ix);
                Set<String> left = new LinkedHashSet<>();
                Exprs.collectIndices(u, left);
                List<String> extents = new ArrayList<>();
                Exprs.collectExtents(u, extents);
                require(!left.contains(m1) && !left.contains(m0) && !extents.contains(m1) && !extents.contains(m0));
                out.add(u);
            }
            return new Expr.Access(a.tensor(), out);
        }

        private IndexExpr untiled(IndexExpr e) {
            if (e.equals(tileStart)) return new IndexExpr.Idx(m);
            return switch (e) {
                case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> new IndexExpr.IBin(op, untiled(a), untiled(b));
                case IndexExpr.INeg(IndexExpr a) -> new IndexExpr.INeg(untiled(a));
                default -> e;
            };
        }

        /** Ranks {@code m1, m0} next to each other become one rank {@code m}; any other use of them is refused. */
        private List<Rank> untiledRanks(List<Rank> ranks) throws NotOnline {
            List<String> names = ranks.stream().map(Rank::index).toList();
            int k = tiledPosition(names);
            List<Rank> out = new ArrayList<>(ranks);
            if (k >= 0) {
                out.remove(k + 1);
                out.set(k, Rank.of(m));
            }
            require(out.stream().noneMatch(r -> r.index().equals(m1) || r.index().equals(m0) || r.iterative()));
            return out;
        }

        private int tiledPosition(List<String> ranks) throws NotOnline {
            int k = ranks.indexOf(m1);
            if (k < 0) {
                require(!ranks.contains(m0));
                return -1;
            }
            require(k + 1 < ranks.size() && ranks.get(k + 1).equals(m0));
            return k;
        }

        private boolean readsRecurrent(Expr e) {
            for (String t : Exprs.tensorsRead(e)) {
                if (recurrences.containsKey(t)) return true;
                Einsum def = defs.get(t);
                if (def != null && !recurrences.containsKey(t) && readsRecurrent(def.body())) return true;
            }
            return false;
        }

        private boolean isMax(Expr e, IndexExpr at) {
            return max != null && isAt(e, max.tensor, max.position, max.update.target().indices(), at);
        }

        /** Whether {@code e} reads {@code tensor} at {@code at} in position {@code k} and its own indices elsewhere. */
        private static boolean isAt(Expr e, String tensor, int k, List<IndexExpr> own, IndexExpr at) {
            if (!(e instanceof Expr.Access(String t, List<IndexExpr> ixs)) || !t.equals(tensor) || ixs.size() != own.size()) return false;
            for (int i = 0; i < ixs.size(); i++) {
                if (!ixs.get(i).equals(i == k ? at : own.get(i))) return false;
            }
            return true;
        }

        private boolean plainAtM1(Expr.Access a) {
            return a.indices().stream().allMatch(ix -> ix.plainIndex() != null) && a.indices().contains(new IndexExpr.Idx(m1));
        }

        private IndexExpr next() {
            return new IndexExpr.IBin(IndexExpr.IOp.ADD, new IndexExpr.Idx(m1), new IndexExpr.Lit(1));
        }

        private static int iterativePosition(TensorDecl t) {
            for (int i = 0; i < t.arity(); i++) if (t.ranks().get(i).iterative()) return i;
            return -1;
        }
    }
}
