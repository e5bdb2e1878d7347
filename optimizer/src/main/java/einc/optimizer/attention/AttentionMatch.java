package einc.optimizer.attention;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;
import einc.ir.IndexExpr;
import einc.ir.ReduceOp;
import einc.ir.TensorDecl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Recognizes attention in a cascade, for the fused kernel: a dot product over one index
 * (optionally scaled), zero or more element-wise score modifications, the masks of their
 * {@code where} clauses, then one of three normalizations: softmax ({@code max},
 * {@code exp(s - max)}, a sum), l1 (a sum of the modified scores) or none, and the weighted sum of
 * V, normalized before ({@code A = SN / SD}) or after ({@code SNV / SD}) where there is a sum.
 * Anything else is "not applicable, because ..." and runs on the generic path.
 */
public final class AttentionMatch {

    /** The recognized attention, or null and the reason it was not recognized. */
    public record Result(Attention attention, String reason) {}

    /**
     * What the fused kernel needs. Accesses keep their batch positions (any index expression of the
     * batch ranks); {@code mod} is the composed score modification over {@link #SCORE}, or null;
     * {@code mask} the conjuncts of every {@code where} on the score chain.
     *
     * @param p the query index
     * @param m the key index (reduced by the weighted sum)
     * @param e the index the dot product reduces
     * @param f the output's value index
     * @param emptyIsNaN whether the division by the sum of weights is deferred to the end ({@code SNV / SD}),
     *        so that a row with no key is 0/0 = NaN; otherwise such a row is 0
     * @param norm how the weights are normalized
     */
    public record Attention(String p, String m, String e, String f,
                     Expr.Access q, Expr.Access k, Expr.Access v, Expr.Access out,
                     Expr scale, Expr mod, List<Expr> mask, boolean emptyIsNaN, Norm norm) {}

    /** How the weights are normalized over the keys; the ordinal is the template's {@code norm()} code. */
    public enum Norm { SOFTMAX, L1, NONE }

    /** The placeholder for the incoming score in {@link Attention#mod}. */
    public static final Expr.Access SCORE = new Expr.Access("$score", List.of());

    private AttentionMatch() {}

    /** Whether mask conjunct {@code x} is tested per key rather than turned into loop bounds. */
    public static boolean isLaneMask(Expr x, String p, String m) {
        return Bounds.of(x, p, m) == null && Bounds.target(x, m) == null;
    }

    /**
     * What a backend's fused kernel computes lane-wise in a score modification: the functions and
     * operators it has, and how a reason names it ("the vector path").
     */
    public record Support(Predicate<Expr.Fn> fn, Predicate<Expr.Op> op, String name) {}

    /** Recognizes attention in {@code c} whose score modification uses only what {@code support} has. */
    public static Result match(Cascade c, Support support) {
        Result direct = matchAsWritten(c, support);
        if (direct.attention() != null) return direct;
        // the optimized plan: online softmax tiled over the keys, which the fused kernels do themselves
        java.util.Optional<OnlineForm.Untiled> untiled = OnlineForm.untile(c);
        if (untiled.isEmpty()) return direct;
        Result read = matchAsWritten(untiled.get().cascade(), support);
        return read.attention() != null ? read : new Result(null, "read untiled, " + read.reason());
    }

    private static Result matchAsWritten(Cascade c, Support support) {
        try {
            return new Result(new Matcher(c, support).run(), "");
        } catch (NoMatch n) {
            return new Result(null, n.getMessage());
        }
    }

    /** Why the cascade is not softmax attention. */
    private static final class NoMatch extends Exception {
        NoMatch(String why) {
            super(why, null, false, false);
        }
    }

    private static final class Matcher {
        private final Cascade c;
        private final List<String> batch;
        private final List<Einsum> body;
        private final Support support;
        private int at = 0;

        Matcher(Cascade c, Support support) {
            this.c = c;
            this.support = support;
            this.batch = c.batchRanks();
            this.body = c.statements();
        }

        private static void require(boolean ok, String why) throws NoMatch {
            if (!ok) throw new NoMatch(why);
        }

        private Einsum next(String what) throws NoMatch {
            require(at < body.size(), "the cascade ends before " + what);
            Einsum s = body.get(at++);
            require(!s.init(), "statement " + at + " is an init, expected " + what);
            return s;
        }

        /** The non-batch positions of an access to a local tensor, all plain indices; checks the batch positions. */
        private List<String> local(Expr.Access a, int n) throws NoMatch {
            TensorDecl t = c.tensorOrThrow(a.tensor());
            require(t.arity() == batch.size() + n && a.indices().size() == t.arity(), "'" + a.tensor() + "' is not [batch ranks + " + n + "]");
            List<String> out = new ArrayList<>();
            for (int k = 0; k < a.indices().size(); k++) {
                String ix = a.indices().get(k).plainIndex();
                require(ix != null, "'" + a.tensor() + "' is accessed with an index expression");
                if (k < batch.size()) require(ix.equals(batch.get(k)), "'" + a.tensor() + "' does not lead with the batch ranks");
                else out.add(ix);
            }
            return out;
        }

        /** An input access {@code T[batch exprs..., x, y]}: returns [x, y]; the batch positions use batch ranks only. */
        private List<String> input(Expr.Access a) throws NoMatch {
            TensorDecl t = c.tensorOrThrow(a.tensor());
            require(t.role() == TensorDecl.Role.INPUT, "'" + a.tensor() + "' is not an input");
            require(a.indices().size() >= 2 && t.arity() == a.indices().size(), "'" + a.tensor() + "' has fewer than two ranks");
            int n = a.indices().size();
            for (int k = 0; k < n - 2; k++) {
                Set<String> used = new java.util.LinkedHashSet<>();
                Exprs.collectIndices(a.indices().get(k), used);
                require(batch.containsAll(used), "'" + a.tensor() + "' rank " + k + " is not a batch position");
            }
            String x = a.indices().get(n - 2).plainIndex(), y = a.indices().get(n - 1).plainIndex();
            require(x != null && y != null, "'" + a.tensor() + "' has index expressions in its last two ranks");
            return List.of(x, y);
        }

        Attention run() throws NoMatch {
            require(c.iterativeIndices().isEmpty(), "the cascade has a recurrence (the 1-pass form is not fused yet)");
            require(c.outputs().size() == 1, "the cascade has " + c.outputs().size() + " outputs");
            // 1. The dot product.
            Einsum dot = next("the dot product");
            List<String> sIx = local(dot.target(), 2);
            require(dot.reduceOp() == ReduceOp.SUM && dot.reducedIndices().size() == 1, "the first statement is not a sum over one index");
            String e = dot.reducedIndices().getFirst();
            List<Expr> factors = new ArrayList<>();
            Exprs.collectOperands(dot.body(), Expr.Op.MUL, factors);
            List<Expr.Access> accesses = new ArrayList<>();
            List<Expr> scale = new ArrayList<>();
            for (Expr x : factors) {
                if (x instanceof Expr.Access a && !Exprs.indices(a).isEmpty() && !batch.containsAll(Exprs.indices(a))) accesses.add(a);
                else scale.add(x);
            }
            require(accesses.size() == 2, "the dot product does not multiply two tensors");
            for (Expr x : scale) requireUniform(x, "the dot product's factor");
            List<Expr> mask = new ArrayList<>();
            if (dot.where() != null) Exprs.collectOperands(dot.where(), Expr.Op.AND, mask);
            String score = dot.tensor();
            // 2. Element-wise modifications of the scores.
            Expr mod = null;
            while (at < body.size() && body.get(at).reduction() == null && reads(body.get(at), score)) {
                Einsum s = next("a score modification");
                require(local(s.target(), 2).equals(sIx), "score modification '" + s.tensor() + "' changes the rank order");
                Expr applied = substitute(s.body(), score, sIx);
                mod = mod == null ? applied : compose(applied, mod);
                if (s.where() != null) Exprs.collectOperands(s.where(), Expr.Op.AND, mask);
                score = s.tensor();
            }
            // 3. The normalization: softmax (max, exp, sum), l1 (a sum of the weights) or none.
            Einsum peek = next("the normalization or the weighted sum");
            at--;
            require(peek.reducedIndices().size() == 1, "no reduction over one index after the scores");
            String m = peek.reducedIndices().getFirst();
            require(sIx.contains(m), "the reduction after the scores is not over a score index");
            String p = sIx.get(0).equals(m) ? sIx.get(1) : sIx.get(0);
            Norm norm;
            String sn, sd;
            if (peek.reduceOp() == ReduceOp.MAX) {
                norm = Norm.SOFTMAX;
                Einsum gmS = next("the max");
                require(gmS.where() == null, "the max has a where clause");
                require(local(gmS.target(), 1).equals(List.of(p)), "the max is not indexed by the query index");
                require(gmS.body() instanceof Expr.Access a0 && a0.tensor().equals(score) && local(a0, 2).equals(sIx), "the max does not read the scores");
                String gm = gmS.tensor();
                // exp(s - max).
                Einsum snS = next("exp(scores - max)");
                require(snS.reduction() == null && snS.where() == null && local(snS.target(), 2).equals(sIx), "no exp(scores - max) after the max");
                require(snS.body() instanceof Expr.Unary(Expr.Fn fn, Expr.Binary(Expr.Op op, Expr.Access sa, Expr.Access ga))
                        && fn == Expr.Fn.EXP && op == Expr.Op.SUB && sa.tensor().equals(score) && local(sa, 2).equals(sIx)
                        && ga.tensor().equals(gm) && local(ga, 1).equals(List.of(p)), "the statement after the max is not exp(scores - max)");
                sn = snS.tensor();
                sd = sum(next("the sum of exponentials"), sn, sIx, m, p, "no sum of the exponentials over m");
            } else if (peek.reduceOp() == ReduceOp.SUM && peek.body() instanceof Expr.Access) {
                norm = Norm.L1;
                sn = score;
                sd = sum(next("the sum of the weights"), sn, sIx, m, p, "no sum of the weights over m");
            } else {
                // No normalization: the weights times V, summed over m, are the output; as optimized,
                // the weight may be written inside the sum (sum g(s) * V) and a uniform factor after it.
                Einsum s6 = next("the weighted sum of V");
                Expr.Access v;
                if (s6.body() instanceof Expr.Binary(Expr.Op op, Expr a, Expr b) && op == Expr.Op.MUL
                        && (a instanceof Expr.Access va && !va.tensor().equals(score) && reads(b, score)
                            || b instanceof Expr.Access vb && !vb.tensor().equals(score) && reads(a, score))) {
                    require(s6.reduceOp() == ReduceOp.SUM && s6.reducedIndices().equals(List.of(m)) && s6.where() == null,
                            "the weighted sum is not a sum over m");
                    boolean vFirst = a instanceof Expr.Access va && !va.tensor().equals(score) && reads(b, score);
                    v = (Expr.Access) (vFirst ? a : b);
                    Expr applied = substitute(vFirst ? b : a, score, sIx);
                    mod = mod == null ? applied : compose(applied, mod);
                } else {
                    v = weighted(s6, score, sIx, m);
                }
                Einsum last = s6;
                if (at < body.size()) {
                    Einsum s7 = next("the output");
                    require(at == body.size(), "statements follow the attention output");
                    require(s7.reduction() == null && s7.where() == null
                            && s7.body() instanceof Expr.Binary(Expr.Op op7, Expr.Access na, Expr k7)
                            && (op7 == Expr.Op.DIV || op7 == Expr.Op.MUL) && na.tensor().equals(s6.tensor())
                            && local(na, 2).equals(local(s6.target(), 2)), "statements follow the attention output");
                    Expr.Binary out = (Expr.Binary) s7.body();
                    requireUniform(out.b(), "the factor of the output");
                    Expr applied = new Expr.Binary(out.op(), SCORE, out.b());
                    mod = mod == null ? applied : compose(applied, mod);
                    last = s7;
                }
                return finish(Norm.NONE, last, s6.target().indices().getLast().plainIndex(), v, false, accesses, scale, mod, mask, p, m, e);
            }
            // 4. Normalize then weight, or weight then normalize.
            Einsum s6 = next("the weighted sum of V");
            Einsum s7 = next("the output");
            require(at == body.size(), "statements follow the attention output");
            boolean deferred;
            Expr.Access v;
            String f;
            if (s6.reduction() == null) {
                require(s6.where() == null && local(s6.target(), 2).equals(sIx)
                        && s6.body() instanceof Expr.Binary(Expr.Op op6, Expr.Access na, Expr.Access da) && op6 == Expr.Op.DIV
                        && na.tensor().equals(sn) && local(na, 2).equals(sIx) && da.tensor().equals(sd) && local(da, 1).equals(List.of(p)),
                        "the statement after the sum is neither a division by the sum nor a weighted sum");
                v = weighted(s7, s6.tensor(), sIx, m);
                f = s7.target().indices().getLast().plainIndex();
                deferred = false;
            } else {
                v = weighted(s6, sn, sIx, m);
                f = s6.target().indices().getLast().plainIndex();
                // select(SD == 0, 0, N / SD), as OnlineSoftmax guards it: an emptied row is 0, not 0 / 0
                Expr out = s7.body();
                boolean guarded = out instanceof Expr.Select(Expr.Binary(Expr.Op eq, Expr.Access ga, Expr.Const(double zero)),
                        Expr.Const(double zero2), Expr division)
                        && eq == Expr.Op.EQ && zero == 0 && zero2 == 0 && ga.tensor().equals(sd) && local(ga, 1).equals(List.of(p));
                if (guarded) out = ((Expr.Select) out).b();
                require(s7.reduction() == null && s7.where() == null
                        && out instanceof Expr.Binary(Expr.Op op7, Expr.Access na, Expr.Access da) && op7 == Expr.Op.DIV
                        && na.tensor().equals(s6.tensor()) && local(na, 2).equals(local(s6.target(), 2))
                        && da.tensor().equals(sd) && local(da, 1).equals(List.of(p)), "the output is not the weighted sum over the sum of the weights");
                deferred = !guarded;
            }
            return finish(norm, s7, f, v, deferred, accesses, scale, mod, mask, p, m, e);
        }

        /** {@code SD[p] = W[m, p]} summed over m: returns SD's name. */
        private String sum(Einsum s, String w, List<String> sIx, String m, String p, String why) throws NoMatch {
            require(s.reduceOp() == ReduceOp.SUM && s.reducedIndices().equals(List.of(m)) && s.where() == null
                    && local(s.target(), 1).equals(List.of(p))
                    && s.body() instanceof Expr.Access a && a.tensor().equals(w) && local(a, 2).equals(sIx), why);
            return s.tensor();
        }

        /** Checks the output, Q, K, V, masks and modification, and builds the attention. */
        private Attention finish(Norm norm, Einsum last, String f, Expr.Access v, boolean deferred, List<Expr.Access> accesses,
                                 List<Expr> scale, Expr mod, List<Expr> mask, String p, String m, String e) throws NoMatch {
            require(c.outputs().getFirst().name().equals(last.tensor()), "the last statement does not write the output");
            require(local(last.target(), 2).equals(List.of(p, f)), "the output is not [batch ranks, p, f]");
            // Q and K.
            Expr.Access q = null, k = null;
            for (Expr.Access a : accesses) {
                List<String> xy = input(a);
                require(xy.get(1).equals(e), "'" + a.tensor() + "' does not end with the reduced index");
                if (xy.get(0).equals(p)) q = a;
                else if (xy.get(0).equals(m)) k = a;
            }
            require(q != null && k != null, "the dot product is not Q[p, e] * K[m, e]");
            require(input(v).equals(List.of(m, f)), "V is not [m, f]");
            for (Expr x : mask) requireMask(x, p, m, norm);
            if (mod != null) requireVectorizable(mod, p, m);
            Expr factor = scale.isEmpty() ? null : scale.stream().reduce((a, b) -> new Expr.Binary(Expr.Op.MUL, a, b)).orElseThrow();
            return new Attention(p, m, e, f, q, k, v, last.target(), factor, mod, mask, deferred, norm);
        }

        /** {@code X[p, f] = W[m, p] * V[m, f]} summed over m: returns the V access. */
        private Expr.Access weighted(Einsum s, String w, List<String> sIx, String m) throws NoMatch {
            require(s.reduceOp() == ReduceOp.SUM && s.reducedIndices().equals(List.of(m)) && s.where() == null,
                    "the weighted sum is not a sum over m");
            require(s.body() instanceof Expr.Binary(Expr.Op op, Expr a, Expr b) && op == Expr.Op.MUL, "the weighted sum is not a product");
            Expr.Binary prod = (Expr.Binary) s.body();
            Expr.Access wa = null, va = null;
            for (Expr x : List.of(prod.a(), prod.b())) {
                if (x instanceof Expr.Access a && a.tensor().equals(w)) wa = a;
                else if (x instanceof Expr.Access a) va = a;
            }
            require(wa != null && va != null && local(wa, 2).equals(sIx), "the weighted sum does not read the weights and V");
            return va;
        }

        private boolean reads(Einsum s, String tensor) {
            return reads(s.body(), tensor);
        }

        private static boolean reads(Expr x, String tensor) {
            return Exprs.tensorsRead(x).contains(tensor);
        }

        /** {@code x} with reads of {@code score} at the score indices replaced by {@link #SCORE}. */
        private Expr substitute(Expr x, String score, List<String> sIx) throws NoMatch {
            return switch (x) {
                case Expr.Access a when a.tensor().equals(score) -> {
                    require(local(a, 2).equals(sIx), "a score modification reads the scores elsewhere than at [m, p]");
                    yield SCORE;
                }
                case Expr.Access a -> {
                    require(c.tensorOrThrow(a.tensor()).role() == TensorDecl.Role.INPUT && batch.containsAll(Exprs.indices(a)),
                            "a score modification reads '" + a.tensor() + "' beyond its batch ranks");
                    yield a;
                }
                case Expr.Unary(Expr.Fn fn, Expr y) -> new Expr.Unary(fn, substitute(y, score, sIx));
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> new Expr.Binary(op, substitute(a, score, sIx), substitute(b, score, sIx));
                case Expr.Select s -> throw new NoMatch("a score modification uses select");
                default -> x;
            };
        }

        /** {@code outer} with {@link #SCORE} replaced by {@code inner}. */
        private static Expr compose(Expr outer, Expr inner) {
            return switch (outer) {
                case Expr.Access a when a == SCORE -> inner;
                case Expr.Unary(Expr.Fn fn, Expr y) -> new Expr.Unary(fn, compose(y, inner));
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> new Expr.Binary(op, compose(a, inner), compose(b, inner));
                default -> outer;
            };
        }

        /** The same for every query and key: constants, parameters, extents, batch-indexed inputs. */
        private void requireUniform(Expr x, String what) throws NoMatch {
            Set<String> ix = Exprs.indices(x);
            require(batch.containsAll(ix), what + " depends on " + ix);
            require(Exprs.tensorsRead(x).stream().allMatch(t -> c.tensorOrThrow(t).role() == TensorDecl.Role.INPUT), what + " reads an intermediate");
            List<Expr> bad = new ArrayList<>();
            Exprs.forEach(x, n -> { if (n instanceof Expr.Select || Exprs.isCondition(n)) bad.add(n); });
            require(bad.isEmpty(), what + " has a condition");
        }

        /**
         * A mask conjunct the kernel takes: a bound on m (affine, or m against an expression free of
         * m), or any other condition of the indices, extents and parameters, tested per key
         * ({@link #isLaneMask}). L1 takes bounds only: its empty rows are found from the bounds.
         */
        private void requireMask(Expr x, String p, String m, Norm norm) throws NoMatch {
            Set<String> allowed = new java.util.LinkedHashSet<>(batch);
            allowed.add(p);
            allowed.add(m);
            require(allowed.containsAll(Exprs.indices(x)) && Exprs.tensorsRead(x).isEmpty(), "mask '" + x + "' depends on more than the query and key indices");
            require(norm != Norm.L1 || !isLaneMask(x, p, m), "mask '" + x + "' is not a bound on " + m + " (l1 normalization takes bounds only)");
        }

        private void requireVectorizable(Expr x, String p, String m) throws NoMatch {
            List<Expr> bad = new ArrayList<>();
            Exprs.forEach(x, n -> {
                switch (n) {
                    case Expr.Unary(Expr.Fn fn, Expr y) when !support.fn().test(fn) -> bad.add(n);
                    case Expr.Binary(Expr.Op op, Expr a, Expr b) when !support.op().test(op) -> bad.add(n);
                    case Expr.Select s -> bad.add(n);
                    case Expr.IndexValue(String i) when !i.equals(p) && !i.equals(m) && !batch.contains(i) -> bad.add(n);
                    default -> {}
                }
            });
            if (!bad.isEmpty()) throw new NoMatch("the score modification uses " + bad.getFirst() + ", which " + support.name() + " lacks");
        }
    }
}
