package einc.codegen.cuda;

import static einc.codegen.cuda.AttentionPattern.E;
import static einc.codegen.cuda.AttentionPattern.F;
import static einc.codegen.cuda.AttentionPattern.M;
import static einc.codegen.cuda.AttentionPattern.P;
import static einc.codegen.cuda.AttentionPattern.QK;

import einc.codegen.cuda.AttentionPattern.Normalization;
import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexExpr;
import einc.ir.ReduceOp;
import einc.ir.TensorDecl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds softmax-attention-shaped cascades: an output {@code O[p, f] = sum_m W V[m, f]} (or that
 * sum divided by a row reduction), whose weight {@code W}, once every element-wise intermediate is
 * inlined, is a function of one dot product {@code sum_e Q[p, e] K[m, e]} and of row reductions over
 * m of the same function: {@code exp(s - max s) / sum exp(s - max s)} (softmax), {@code g / sum g}
 * (l1) or {@code g} (none). The {@code where} conditions met on the way, which read no tensor, form
 * the mask. Answers "not applicable, because ..." rather than guessing; free of CUDA.
 */
public final class AttentionRecognizer {

    /** The pattern, or why there is none. */
    public record Result(Optional<AttentionPattern> pattern, String why) {
        static Result no(String why) {
            return new Result(Optional.empty(), why);
        }
    }

    private final Cascade c;
    private Expr.Access q, k;
    private final List<Expr> masks = new ArrayList<>();
    private final List<Reduce> reductions = new ArrayList<>();

    /** A row reduction over the keys met while inlining, stood in for by the access {@code $r<i>}. */
    private record Reduce(ReduceOp op, Expr body) {}

    /** Not applicable, with the reason. */
    private static final class NotApplicable extends RuntimeException {
        NotApplicable(String why) {
            super(why, null, false, false);
        }
    }

    private AttentionRecognizer(Cascade c) {
        this.c = c;
    }

    public static Result recognize(Cascade c) {
        try {
            return new AttentionRecognizer(c).run();
        } catch (NotApplicable n) {
            return Result.no(n.getMessage());
        }
    }

    private static NotApplicable no(String why) {
        return new NotApplicable(why);
    }

    private Result run() {
        if (!c.iterativeIndices().isEmpty()) throw no("it has a recurrence");
        if (c.outputs().size() != 1) throw no("it has " + c.outputs().size() + " outputs");
        TensorDecl o = c.outputs().getFirst();
        Einsum out = c.definition(o.name()).orElseThrow(() -> no("its output is not assigned"));
        if (o.arity() < 2) throw no("its output has fewer than two ranks");
        List<String> target = plain(out.target().indices(), "the output's positions");
        String p = target.get(target.size() - 2), f = target.get(target.size() - 1);
        Map<String, String> ren = new HashMap<>();
        for (int i = 0; i < target.size() - 2; i++) {
            String b = target.get(i);
            if (!c.batchRanks().contains(b)) throw no("output rank '" + b + "' is not a batch rank");
            ren.put(b, b);
        }
        ren.put(p, P);
        ren.put(f, F);

        Expr weight;
        Expr.Access v;
        Expr outBody = out.body();
        // select(D == 0, 0, N / D), as OnlineSoftmax guards an emptied row: 0 there, where N / D unguarded is 0 / 0 = NaN
        boolean guarded = false;
        if (outBody instanceof Expr.Select(Expr.Binary(Expr.Op eq, Expr d, Expr.Const(double z)), Expr.Const(double z2),
                Expr.Binary(Expr.Op div, Expr n, Expr d2)) && eq == Expr.Op.EQ && z == 0 && z2 == 0 && div == Expr.Op.DIV && d.equals(d2)) {
            outBody = new Expr.Binary(div, n, d2);
            guarded = true;
        }
        boolean emptyIsNaN = false;
        if (out.reduction() != null) {
            Split sv = splitV(out, ren);
            v = sv.v;
            weight = sv.weight;
        } else if (outBody instanceof Expr.Binary(Expr.Op op, Expr.Access num, Expr den) && op == Expr.Op.DIV) {
            if (out.where() != null) throw no("its output statement has a where clause");
            Einsum ns = definitionOf(num.tensor());
            Map<String, String> nren = bind(ns, num, ren);
            if (ns.reduction() == null) throw no("the numerator of the output is not a sum over the keys");
            Split sv = splitV(ns, nren);
            v = sv.v;
            weight = new Expr.Binary(Expr.Op.DIV, sv.weight, inline(den, ren));
            emptyIsNaN = !guarded;
        } else {
            throw no("its output is neither a weighted sum of V nor such a sum divided by a row reduction");
        }
        if (q == null) throw no("no dot product of Q and K over a head dimension was found");
        for (Expr mk : masks) if (!Exprs.tensorsRead(mk).isEmpty()) throw no("a where condition reads a tensor");

        Normalization norm;
        Expr score;
        if (!hasReduction(weight)) {
            norm = Normalization.NONE;
            score = weight;
        } else if (weight instanceof Expr.Binary(Expr.Op op, Expr n, Expr.Access r) && op == Expr.Op.DIV && reduction(r) != null
                && reduction(r).op() == ReduceOp.SUM && reduction(r).body().equals(n)) {
            if (n instanceof Expr.Unary(Expr.Fn fn, Expr.Binary(Expr.Op sub, Expr s, Expr.Access g)) && fn == Expr.Fn.EXP
                    && sub == Expr.Op.SUB && reduction(g) != null && reduction(g).op() == ReduceOp.MAX && reduction(g).body().equals(s)
                    && !hasReduction(s)) {
                norm = Normalization.SOFTMAX;
                score = s;
            } else if (!hasReduction(n)) {
                norm = Normalization.SUM;
                score = n;
            } else {
                throw no("the normalized weight is neither exp(s - max s) nor free of row reductions");
            }
        } else {
            throw no("the weight is not w / sum w over the keys");
        }
        // sum_m (w / sum w) V written per key: a row whose present keys all weigh 0 is 0 / 0 = NaN at each key,
        // where the kernel's deferred division gives 0 (as it must for a row with no key); only a positive
        // weight rules that out
        if (out.reduction() != null && norm == Normalization.SUM && !Exprs.isPositiveFunction(score))
            throw no("its l1 weight may be 0 at every key of a row, where the division written per key gives NaN");
        List<Expr> atoms = new ArrayList<>();
        for (Expr mk : masks) conjuncts(mk, atoms);
        Expr mask = null;
        for (Expr a : atoms) mask = mask == null ? a : new Expr.Binary(Expr.Op.AND, mask, a);
        Expr.Access outAccess = new Expr.Access(o.name(), target.stream().map(t -> (IndexExpr) new IndexExpr.Idx(ren.get(t))).toList());
        return new Result(Optional.of(new AttentionPattern(q, k, v, outAccess, score, mask, atoms, norm, emptyIsNaN)), "softmax-attention-shaped (" + norm.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }

    private record Split(Expr.Access v, Expr weight) {}

    /** {@code s = sum_m W * V[m, f]}: V and the weight W, inlined. */
    private Split splitV(Einsum s, Map<String, String> ren) {
        if (s.reduceOp() != ReduceOp.SUM || s.reducedIndices().size() != 1) throw no("the weighted sum reduces other than one key index with +");
        String m = s.reducedIndices().getFirst();
        Map<String, String> r = new HashMap<>(ren);
        r.put(m, M);
        if (s.where() != null) masks.add(inline(s.where(), r));
        List<Expr> factors = new ArrayList<>();
        Exprs.collectOperands(s.body(), Expr.Op.MUL, factors);
        Expr.Access v = null;
        Expr weight = null;
        for (Expr fct : factors) {
            if (v == null && fct instanceof Expr.Access a && isInput(a.tensor()) && mentions(a, ren, F)) {
                v = canonical(a, r);
                continue;
            }
            weight = weight == null ? fct : new Expr.Binary(Expr.Op.MUL, weight, fct);
        }
        if (v == null || weight == null) throw no("the weighted sum has no input V[m, f] times a weight");
        List<IndexExpr> vp = v.indices();
        if (vp.size() < 2 || !M.equals(vp.get(vp.size() - 2).plainIndex()) || !F.equals(vp.getLast().plainIndex()))
            throw no("V is not read as V[m, f]");
        Expr w = inline(weight, r);
        if (Exprs.indices(w).contains(F)) throw no("the weight depends on f");
        return new Split(v, w);
    }

    private boolean mentions(Expr.Access a, Map<String, String> ren, String canonical) {
        for (IndexExpr ix : a.indices()) {
            String n = ix.plainIndex();
            if (n != null && canonical.equals(ren.get(n))) return true;
        }
        return false;
    }

    private static void conjuncts(Expr e, List<Expr> out) {
        if (e instanceof Expr.Binary(Expr.Op op, Expr a, Expr b) && op == Expr.Op.AND) {
            conjuncts(a, out);
            conjuncts(b, out);
        } else if (!out.contains(e)) {
            out.add(e);
        }
    }

    private boolean isInput(String t) {
        return c.inputs().stream().anyMatch(d -> d.name().equals(t));
    }

    private Einsum definitionOf(String t) {
        return c.definition(t).orElseThrow(() -> no("'" + t + "' is never assigned"));
    }

    private static List<String> plain(List<IndexExpr> xs, String what) {
        List<String> out = new ArrayList<>();
        for (IndexExpr x : xs) {
            String n = x.plainIndex();
            if (n == null) throw no(what + " are not plain indices");
            out.add(n);
        }
        return out;
    }

    /** The renaming of {@code def}'s target indices to the canonical names the access {@code at} gives them. */
    private Map<String, String> bind(Einsum def, Expr.Access at, Map<String, String> ren) {
        List<String> tgt = plain(def.target().indices(), "the positions of '" + def.tensor() + "'");
        List<String> pos = plain(at.indices(), "the positions of a read of '" + at.tensor() + "'");
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < tgt.size(); i++) {
            String canon = ren.get(pos.get(i));
            if (canon == null) throw no("index '" + pos.get(i) + "' has no role");
            if (out.containsKey(tgt.get(i)) && !out.get(tgt.get(i)).equals(canon)) throw no("'" + def.tensor() + "' is read on a diagonal");
            out.put(tgt.get(i), canon);
        }
        return out;
    }

    private Expr.Access canonical(Expr.Access a, Map<String, String> ren) {
        return new Expr.Access(a.tensor(), a.indices().stream().map(ix -> rename(ix, ren)).toList());
    }

    private static IndexExpr rename(IndexExpr e, Map<String, String> ren) {
        return switch (e) {
            case IndexExpr.Idx(String n) -> {
                String r = ren.get(n);
                if (r == null) throw no("index '" + n + "' has no role");
                yield new IndexExpr.Idx(r);
            }
            case IndexExpr.Ext x -> x;
            case IndexExpr.Lit l -> l;
            case IndexExpr.INeg(IndexExpr a) -> new IndexExpr.INeg(rename(a, ren));
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> new IndexExpr.IBin(op, rename(a, ren), rename(b, ren));
        };
    }

    /** {@code e} with every element-wise intermediate inlined, in canonical indices. */
    private Expr inline(Expr e, Map<String, String> ren) {
        return switch (e) {
            case Expr.Const x -> x;
            case Expr.ParamRef x -> x;
            case Expr.ExtentRef x -> x;
            case Expr.IndexValue(String n) -> {
                String r = ren.get(n);
                if (r == null) throw no("index '" + n + "' has no role");
                yield new Expr.IndexValue(r);
            }
            case Expr.Unary(Expr.Fn fn, Expr x) -> new Expr.Unary(fn, inline(x, ren));
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> new Expr.Binary(op, inline(a, ren), inline(b, ren));
            case Expr.Select(Expr cnd, Expr a, Expr b) -> new Expr.Select(inline(cnd, ren), inline(a, ren), inline(b, ren));
            case Expr.Access a -> access(a, ren);
        };
    }

    private Expr access(Expr.Access a, Map<String, String> ren) {
        if (isInput(a.tensor())) {
            Expr.Access can = canonical(a, ren);
            for (IndexExpr ix : can.indices()) {
                if (Exprs.indices(new Expr.Access("x", List.of(ix))).stream().anyMatch(n -> n.equals(P) || n.equals(M)))
                    throw no("input '" + a.tensor() + "' is read at a query or key position outside the dot product");
            }
            return can;
        }
        Einsum def = definitionOf(a.tensor());
        Map<String, String> r = bind(def, a, ren);
        if (def.reduction() == null) {
            if (def.where() != null) masks.add(inline(def.where(), r));
            return inline(def.body(), r);
        }
        if (def.reducedIndices().size() != 1) throw no("'" + def.tensor() + "' reduces more than one index");
        String red = def.reducedIndices().getFirst();
        if (r.containsValue(M)) {
            // reduced over the head dimension at a (query, key) point: the dot product
            if (def.reduceOp() != ReduceOp.SUM) throw no("'" + def.tensor() + "' reduces the head dimension with " + def.reduceOp().spelling());
            return dot(def, r, red);
        }
        // a row reduction over the keys
        if (!r.containsValue(P)) throw no("'" + def.tensor() + "' is a reduction without the query index");
        Map<String, String> rr = new HashMap<>(r);
        rr.put(red, M);
        if (def.where() != null) masks.add(inline(def.where(), rr));
        Reduce rd = new Reduce(def.reduceOp(), inline(def.body(), rr));
        int at = reductions.indexOf(rd);
        if (at < 0) {
            reductions.add(rd);
            at = reductions.size() - 1;
        }
        return new Expr.Access("$r" + at, List.of());
    }

    private Expr dot(Einsum def, Map<String, String> r, String red) {
        Map<String, String> rr = new HashMap<>(r);
        rr.put(red, E);
        if (def.where() != null) masks.add(inline(def.where(), r));
        List<Expr> fs = new ArrayList<>();
        Exprs.collectOperands(def.body(), Expr.Op.MUL, fs);
        Expr.Access qa = null, ka = null;
        Expr scale = null;
        for (Expr fct : fs) {
            if (fct instanceof Expr.Access a && isInput(a.tensor()) && a.indices().size() >= 2 && red.equals(a.indices().getLast().plainIndex())) {
                Expr.Access can = canonical(a, rr);
                String second = can.indices().get(can.indices().size() - 2).plainIndex();
                if (P.equals(second) && qa == null) qa = can;
                else if (M.equals(second) && ka == null) ka = can;
                else throw no("the dot product reads '" + a.tensor() + "' at other than [p, e] or [m, e]");
                continue;
            }
            if (Exprs.indices(fct).contains(red) || !Exprs.tensorsRead(fct).isEmpty())
                throw no("the dot product has a factor other than Q, K and scalars");
            Expr x = inline(fct, r);
            scale = scale == null ? x : new Expr.Binary(Expr.Op.MUL, scale, x);
        }
        if (qa == null || ka == null) throw no("the dot product is not Q[p, e] * K[m, e]");
        for (int i = 0; i < qa.indices().size() - 2; i++) batchOnly(qa.indices().get(i));
        for (int i = 0; i < ka.indices().size() - 2; i++) batchOnly(ka.indices().get(i));
        if (q != null && (!q.equals(qa) || !k.equals(ka))) throw no("it has two different dot products");
        q = qa;
        k = ka;
        Expr dot = new Expr.Access(QK, List.of());
        return scale == null ? dot : new Expr.Binary(Expr.Op.MUL, scale, dot);
    }

    private static void batchOnly(IndexExpr ix) {
        List<String> names = new ArrayList<>();
        Exprs.collectIndices(ix, names);
        for (String n : names) if (n.startsWith("$")) throw no("a batch position of Q or K uses a query, key or head index");
    }

    private Reduce reduction(Expr.Access a) {
        if (!a.tensor().startsWith("$r")) return null;
        return reductions.get(Integer.parseInt(a.tensor().substring(2)));
    }

    private static boolean hasReduction(Expr e) {
        boolean[] found = {false};
        Exprs.forEach(e, n -> {
            if (n instanceof Expr.Access a && a.tensor().startsWith("$r")) found[0] = true;
        });
        return found[0];
    }
}
