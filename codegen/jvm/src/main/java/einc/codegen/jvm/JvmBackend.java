package einc.codegen.jvm;

import einc.ir.Cascade;
import einc.optimizer.attention.AttentionMatch;
import einc.optimizer.attention.Bounds;
import einc.runtime.gen.Anchor;

import java.util.Locale;

/**
 * The JVM backend: compiles a cascade to generated classes. Always a generic class (one loop nest
 * per statement); a fused, vectorized class as well when {@link AttentionMatch} recognizes
 * softmax attention.
 */
public final class JvmBackend {

    private JvmBackend() {}

    /** Compiles {@code c}; never fails on a valid cascade (the generic path accepts every one). */
    public static JvmKernel compile(Cascade c) {
        KernelPlan plan = new KernelPlan(c);
        String base = Anchor.PACKAGE + "K_" + safe(c.name());
        byte[] generic = new GenericEmitter(plan, base + "_generic").emit();
        AttentionMatch.Result match = AttentionMatch.match(c, VectorCode.SUPPORT);
        byte[] fused = match.attention() == null ? null : new AttentionEmitter(plan, match.attention(), base + "_fused").emit();
        return new JvmKernel(Signatures.of(c), generic, fused, match.reason());
    }

    /** Whether {@code c} compiles to the fused attention kernel (besides the generic class every cascade gets). */
    public static boolean fuses(Cascade c) {
        return AttentionMatch.match(c, VectorCode.SUPPORT).attention() != null;
    }

    /**
     * The FLOPs of one run when {@code c} is softmax attention: {@code 2 (E + F)} per unmasked
     * (query, key) pair and batch point (the usual {@code 4 B H N^2 D}, halved by a causal mask);
     * empty when it is not. Masks that depend on batch ranks are counted at batch point 0.
     */
    public static java.util.OptionalDouble attentionFlops(Cascade c, java.util.Map<String, Long> extents, java.util.Map<String, Double> params) {
        AttentionMatch.Attention a = AttentionMatch.match(c, VectorCode.SUPPORT).attention();
        if (a == null) return java.util.OptionalDouble.empty();
        double batch = 1;
        for (String b : c.batchRanks()) batch *= extents.get(b);
        long nP = extents.get(a.p()), nM = extents.get(a.m());
        double pairs = 0;
        java.util.List<einc.ir.Expr> perKey = a.mask().stream().filter(x -> AttentionMatch.isLaneMask(x, a.p(), a.m())).toList();
        for (long p = 0; p < nP; p++) {
            double lo = 0, hi = nM;
            for (einc.ir.Expr x : a.mask()) {
                Bounds b = Bounds.of(x, a.p(), a.m());
                if (b == null) {
                    Bounds.Target tb = Bounds.target(x, a.m());
                    if (tb == null) continue;
                    double v = eval(tb.t(), a, p, 0, extents, params);
                    switch (tb.op()) {
                        case LE -> hi = Math.min(hi, Math.floor(v) + 1);
                        case LT -> hi = Math.min(hi, Math.ceil(v));
                        case GE -> lo = Math.max(lo, Math.ceil(v));
                        case GT -> lo = Math.max(lo, Math.floor(v) + 1);
                        default -> {
                            lo = Math.max(lo, Math.ceil(v));
                            hi = Math.min(hi, Math.floor(v) + 1);
                        }
                    }
                    continue;
                }
                double t = b.cp() * p + constant(b.c0(), extents, params);
                if (b.cm() == 0) {
                    boolean holds = switch (b.op()) {
                        case LT -> t < 0;
                        case LE -> t <= 0;
                        case GT -> t > 0;
                        case GE -> t >= 0;
                        default -> t == 0;
                    };
                    if (!holds) hi = lo;
                    continue;
                }
                t = -t;
                switch (b.op()) {
                    case LE -> hi = Math.min(hi, Math.floor(t) + 1);
                    case LT -> hi = Math.min(hi, Math.ceil(t));
                    case GE -> lo = Math.max(lo, Math.ceil(t));
                    case GT -> lo = Math.max(lo, Math.floor(t) + 1);
                    default -> {
                        lo = Math.max(lo, Math.ceil(t));
                        hi = Math.min(hi, Math.floor(t) + 1);
                    }
                }
            }
            if (perKey.isEmpty()) {
                pairs += Math.max(0, hi - lo);
                continue;
            }
            for (long m = (long) Math.max(0, lo); m < hi; m++) {
                boolean kept = true;
                for (einc.ir.Expr x : perKey) kept &= eval(x, a, p, m, extents, params) != 0;
                if (kept) pairs++;
            }
        }
        return java.util.OptionalDouble.of(batch * pairs * 2.0 * (extents.get(a.e()) + extents.get(a.f())));
    }

    /** A mask expression's value at query p and key m (batch ranks at 0), as the reference evaluates it. */
    private static double eval(einc.ir.Expr e, AttentionMatch.Attention a, long p, long m,
                               java.util.Map<String, Long> extents, java.util.Map<String, Double> params) {
        return switch (e) {
            case einc.ir.Expr.Const(double v) -> v;
            case einc.ir.Expr.ExtentRef(String ix) -> extents.get(ix);
            case einc.ir.Expr.ParamRef(String n) -> params.getOrDefault(n, 0.0);
            case einc.ir.Expr.IndexValue(String ix) -> ix.equals(a.p()) ? p : ix.equals(a.m()) ? m : 0;
            case einc.ir.Expr.Unary(einc.ir.Expr.Fn fn, einc.ir.Expr x) -> {
                double v = eval(x, a, p, m, extents, params);
                yield switch (fn) {
                    case NEG -> -v;
                    case NOT -> v == 0 ? 1 : 0;
                    case EXP -> Math.exp(v);
                    case LOG -> Math.log(v);
                    case SQRT -> Math.sqrt(v);
                    case RSQRT -> 1 / Math.sqrt(v);
                    case TANH -> Math.tanh(v);
                    case ABS -> Math.abs(v);
                    case SIGN -> Math.signum(v);
                    case RELU -> Math.max(v, 0);
                    case SIGMOID -> 1 / (1 + Math.exp(-v));
                    case SOFTPLUS -> Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
                    case ELU -> v > 0 ? v : Math.expm1(v);
                };
            }
            case einc.ir.Expr.Binary(einc.ir.Expr.Op op, einc.ir.Expr x, einc.ir.Expr y) -> {
                double u = eval(x, a, p, m, extents, params), v = eval(y, a, p, m, extents, params);
                yield switch (op) {
                    case ADD -> u + v;
                    case SUB -> u - v;
                    case MUL -> u * v;
                    case DIV -> u / v;
                    case LT -> u < v ? 1 : 0;
                    case LE -> u <= v ? 1 : 0;
                    case GT -> u > v ? 1 : 0;
                    case GE -> u >= v ? 1 : 0;
                    case EQ -> u == v ? 1 : 0;
                    case NE -> u != v ? 1 : 0;
                    case AND -> u != 0 && v != 0 ? 1 : 0;
                    case OR -> u != 0 || v != 0 ? 1 : 0;
                    case MIN -> Math.min(u, v);
                    case MAX -> Math.max(u, v);
                    case POW -> Math.pow(u, v);
                };
            }
            case einc.ir.Expr.Select(einc.ir.Expr cond, einc.ir.Expr x, einc.ir.Expr y) ->
                    eval(cond, a, p, m, extents, params) != 0 ? eval(x, a, p, m, extents, params) : eval(y, a, p, m, extents, params);
            case einc.ir.Expr.Access acc -> 0;
        };
    }

    private static double constant(einc.ir.Expr e, java.util.Map<String, Long> extents, java.util.Map<String, Double> params) {
        if (e == null) return 0;
        return switch (e) {
            case einc.ir.Expr.Const(double v) -> v;
            case einc.ir.Expr.ExtentRef(String ix) -> extents.get(ix);
            case einc.ir.Expr.ParamRef(String n) -> params.getOrDefault(n, 0.0);
            case einc.ir.Expr.IndexValue iv -> 0;
            case einc.ir.Expr.Binary(einc.ir.Expr.Op op, einc.ir.Expr x, einc.ir.Expr y) when op == einc.ir.Expr.Op.ADD ->
                    constant(x, extents, params) + constant(y, extents, params);
            case einc.ir.Expr.Binary(einc.ir.Expr.Op op, einc.ir.Expr x, einc.ir.Expr y) when op == einc.ir.Expr.Op.MUL ->
                    constant(x, extents, params) * constant(y, extents, params);
            default -> throw new IllegalArgumentException("not a constant: " + e);
        };
    }

    static String safe(String name) {
        StringBuilder sb = new StringBuilder();
        for (char ch : name.toCharArray()) sb.append(Character.isLetterOrDigit(ch) ? ch : '_');
        return sb.toString().toLowerCase(Locale.ROOT).isEmpty() ? "cascade" : sb.toString();
    }
}
