package einc.codegen.jvm;

import einc.ir.Cascade;
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
        AttentionMatch.Result match = AttentionMatch.match(c);
        byte[] fused = match.attention() == null ? null : new AttentionEmitter(plan, match.attention(), base + "_fused").emit();
        return new JvmKernel(Signatures.of(c), generic, fused, match.reason());
    }

    /**
     * The FLOPs of one run when {@code c} is softmax attention: {@code 2 (E + F)} per unmasked
     * (query, key) pair and batch point (the usual {@code 4 B H N^2 D}, halved by a causal mask);
     * empty when it is not. Masks that depend on batch ranks are counted at batch point 0.
     */
    public static java.util.OptionalDouble attentionFlops(Cascade c, java.util.Map<String, Long> extents, java.util.Map<String, Double> params) {
        AttentionMatch.Attention a = AttentionMatch.match(c).attention();
        if (a == null) return java.util.OptionalDouble.empty();
        double batch = 1;
        for (String b : c.batchRanks()) batch *= extents.get(b);
        long nP = extents.get(a.p()), nM = extents.get(a.m());
        double pairs = 0;
        for (long p = 0; p < nP; p++) {
            double lo = 0, hi = nM;
            for (einc.ir.Expr x : a.mask()) {
                Bounds b = Bounds.of(x, a.p(), a.m());
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
            pairs += Math.max(0, hi - lo);
        }
        return java.util.OptionalDouble.of(batch * pairs * 2.0 * (extents.get(a.e()) + extents.get(a.f())));
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
