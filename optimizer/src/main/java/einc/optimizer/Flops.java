package einc.optimizer;

import einc.ir.Cascade;
import einc.ir.Einsum;
import einc.ir.Expr;
import einc.ir.Exprs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the floating-point operations of a cascade for given extents. A statement costs
 * (points of its iteration space) x (operations of its body, plus one per point for its reduction:
 * an add for {@code sum}, a comparison for {@code max}/{@code min}, a multiply for {@code prod}).
 * Subexpressions that read no tensor and no index (such as {@code 1 / sqrt(E)}) are counted once per
 * statement, not per point. A {@code where} condition is treated as free (it becomes loop bounds) and
 * the points it removes are still counted, so the count is an upper bound for masked statements;
 * {@code select} counts its condition and the dearer branch. Index arithmetic is not counted.
 */
public final class Flops {

    private Flops() {}

    /** The operations of the whole cascade: the sum over its statements. */
    public static FlopCount count(Cascade c, Map<String, Long> extents) {
        return formula(c).evaluate(ExtentTable.of(c, extents));
    }

    /** The operations of the whole cascade as polynomials in extents. */
    public static FlopFormula formula(Cascade c) {
        FlopFormula sum = FlopFormula.ZERO;
        for (FlopFormula f : perStatement(c).values()) sum = sum.plus(f);
        return sum;
    }

    /** The operations of every statement, keyed by {@link #label(Einsum)} in statement order. */
    public static Map<String, FlopFormula> perStatement(Cascade c) {
        Map<String, FlopFormula> out = new LinkedHashMap<>();
        for (Einsum s : c.statements()) out.put(label(s), formula(c, s));
        return out;
    }

    /** The operations of one statement. */
    public static FlopFormula formula(Cascade c, Einsum s) {
        Cost body = cost(s.body());
        FlopCount perPoint = body.perPoint;
        if (s.reduction() != null) {
            perPoint = perPoint.plus(switch (s.reduction().op()) {
                case SUM -> new FlopCount(1, 0, 0, 0, 0);
                case PROD -> new FlopCount(0, 1, 0, 0, 0);
                case MAX, MIN -> new FlopCount(0, 0, 0, 0, 1);
            });
        }
        return FlopFormula.of(perPoint, Poly.product(space(c, s)), body.once);
    }

    /** {@code QK} for a statement, {@code init RM} for an init. */
    public static String label(Einsum s) {
        return s.init() ? "init " + s.tensor() : s.tensor();
    }

    /** The iteration space of {@code s}; for an init, without the iterative ranks its target fixes to 0. */
    public static List<String> space(Cascade c, Einsum s) {
        return c.tensor(s.tensor()).isPresent() ? c.iterationSpace(s) : s.space();
    }

    /** Operations per point and operations done once (constant subexpressions). */
    private record Cost(FlopCount perPoint, FlopCount once) {
        Cost plus(Cost o) {
            return new Cost(perPoint.plus(o.perPoint), once.plus(o.once));
        }
    }

    private static Cost cost(Expr e) {
        if (isConstant(e)) return new Cost(FlopCount.ZERO, ops(e));
        return switch (e) {
            case Expr.Access a -> new Cost(FlopCount.ZERO, FlopCount.ZERO);
            case Expr.Const k -> new Cost(FlopCount.ZERO, FlopCount.ZERO);
            case Expr.ParamRef p -> new Cost(FlopCount.ZERO, FlopCount.ZERO);
            case Expr.ExtentRef x -> new Cost(FlopCount.ZERO, FlopCount.ZERO);
            case Expr.IndexValue v -> new Cost(FlopCount.ZERO, FlopCount.ZERO);
            case Expr.Unary(Expr.Fn fn, Expr x) -> new Cost(of(fn), FlopCount.ZERO).plus(cost(x));
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> new Cost(of(op), FlopCount.ZERO).plus(cost(a)).plus(cost(b));
            case Expr.Select(Expr c, Expr a, Expr b) -> {
                Cost ca = cost(a), cb = cost(b);
                yield cost(c).plus(ca.perPoint.total() >= cb.perPoint.total() ? ca : cb);
            }
        };
    }

    /** The operations of {@code e} evaluated once. */
    private static FlopCount ops(Expr e) {
        FlopCount[] sum = {FlopCount.ZERO};
        Exprs.forEach(e, node -> {
            switch (node) {
                case Expr.Unary(Expr.Fn fn, Expr x) -> sum[0] = sum[0].plus(of(fn));
                case Expr.Binary(Expr.Op op, Expr a, Expr b) -> sum[0] = sum[0].plus(of(op));
                default -> {}
            }
        });
        return sum[0];
    }

    /** Whether {@code e} reads no tensor and no index value: the same at every point. */
    private static boolean isConstant(Expr e) {
        boolean[] varies = {false};
        Exprs.forEach(e, node -> {
            if (node instanceof Expr.Access || node instanceof Expr.IndexValue) varies[0] = true;
        });
        return !varies[0];
    }

    private static FlopCount of(Expr.Fn fn) {
        return switch (fn) {
            case NEG, NOT -> FlopCount.ZERO;
            case EXP, LOG, SQRT, RSQRT, TANH, SIGMOID, SOFTPLUS, ELU -> new FlopCount(0, 0, 1, 0, 0);
            case RELU, ABS, SIGN -> new FlopCount(0, 0, 0, 0, 1);
        };
    }

    private static FlopCount of(Expr.Op op) {
        return switch (op) {
            case ADD, SUB -> new FlopCount(1, 0, 0, 0, 0);
            case MUL -> new FlopCount(0, 1, 0, 0, 0);
            case DIV -> new FlopCount(0, 0, 0, 1, 0);
            case LT, LE, GT, GE, EQ, NE, MIN, MAX -> new FlopCount(0, 0, 0, 0, 1);
            case AND, OR -> FlopCount.ZERO;
            case POW -> new FlopCount(0, 0, 1, 0, 0);
        };
    }
}
