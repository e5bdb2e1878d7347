package einc.optimizer.attention;

import einc.ir.Expr;

/**
 * An affine mask {@code cm*m + cp*p + c0 OP 0} with {@code cm} in {0, 1} (MaskToBounds, in the
 * fused kernels' terms): the range of keys {@code m} a query row {@code p} sees, so that masks become
 * loop bounds and skipped tiles rather than tests.
 *
 * @param op the comparison, with {@code m} (when {@code cm} is 1) on its left
 * @param cm the coefficient of {@code m}: 0 (a condition on {@code p} alone) or 1
 * @param cp the coefficient of {@code p}
 * @param c0 the part free of {@code p} and {@code m} (extents, parameters, constants, batch ranks), or null for 0
 */
public record Bounds(Expr.Op op, int cm, double cp, Expr c0) {

    /** The bound {@code x} states, or null when it is not affine in {@code m} with a unit coefficient. */
    public static Bounds of(Expr x, String p, String m) {
        if (!(x instanceof Expr.Binary(Expr.Op op, Expr a, Expr b)) || !op.isComparison() || op == Expr.Op.NE) return null;
        Lin la = lin(a, p, m), lb = lin(b, p, m);
        if (la == null || lb == null) return null;
        Lin l = la.plus(lb.times(-1));
        if (l.cm == 0) return new Bounds(op, 0, l.cp, l.c0);
        if (Math.abs(l.cm) != 1) return null;
        if (l.cm == 1) return new Bounds(op, 1, l.cp, l.c0);
        Lin n = l.times(-1);
        Expr.Op flipped = switch (op) {
            case LT -> Expr.Op.GT;
            case LE -> Expr.Op.GE;
            case GT -> Expr.Op.LT;
            case GE -> Expr.Op.LE;
            default -> op;
        };
        return new Bounds(flipped, 1, n.cp, n.c0);
    }

    /**
     * A bound {@code m OP t} where {@code t} is any expression free of {@code m} (for instance
     * {@code max(0, min(p - r, M - 1 - 2 * r))}): evaluated per query row, it becomes a loop bound too.
     */
    public record Target(Expr.Op op, Expr t) {}

    /** The bound {@code x} states when one side is {@code m} itself and the other is free of it, or null. */
    public static Target target(Expr x, String m) {
        if (!(x instanceof Expr.Binary(Expr.Op op, Expr a, Expr b)) || !op.isComparison() || op == Expr.Op.NE) return null;
        boolean am = a instanceof Expr.IndexValue(String i) && i.equals(m), bm = b instanceof Expr.IndexValue(String j) && j.equals(m);
        if (am && !einc.ir.Exprs.indices(b).contains(m)) return new Target(op, b);
        if (bm && !einc.ir.Exprs.indices(a).contains(m)) return new Target(switch (op) {
            case LT -> Expr.Op.GT;
            case LE -> Expr.Op.GE;
            case GT -> Expr.Op.LT;
            case GE -> Expr.Op.LE;
            default -> op;
        }, a);
        return null;
    }

    /** A linear form in m and p. */
    private record Lin(double cm, double cp, Expr c0) {
        Lin plus(Lin o) {
            Expr c = c0 == null ? o.c0 : o.c0 == null ? c0 : new Expr.Binary(Expr.Op.ADD, c0, o.c0);
            return new Lin(cm + o.cm, cp + o.cp, c);
        }

        Lin times(double k) {
            return new Lin(cm * k, cp * k, c0 == null ? null : new Expr.Binary(Expr.Op.MUL, new Expr.Const(k), c0));
        }
    }

    private static Lin lin(Expr x, String p, String m) {
        return switch (x) {
            case Expr.IndexValue(String i) when i.equals(m) -> new Lin(1, 0, null);
            case Expr.IndexValue(String i) when i.equals(p) -> new Lin(0, 1, null);
            case Expr.IndexValue iv -> new Lin(0, 0, iv);
            case Expr.Const(double v) when Double.isFinite(v) -> new Lin(0, 0, x);
            case Expr.ExtentRef e -> new Lin(0, 0, e);
            case Expr.ParamRef r -> new Lin(0, 0, r);
            case Expr.Unary(Expr.Fn fn, Expr y) when fn == Expr.Fn.NEG -> {
                Lin l = lin(y, p, m);
                yield l == null ? null : l.times(-1);
            }
            case Expr.Binary(Expr.Op op, Expr a, Expr b) when op == Expr.Op.ADD || op == Expr.Op.SUB -> {
                Lin la = lin(a, p, m), lb = lin(b, p, m);
                yield la == null || lb == null ? null : la.plus(op == Expr.Op.ADD ? lb : lb.times(-1));
            }
            case Expr.Binary(Expr.Op op, Expr.Const(double k), Expr b) when op == Expr.Op.MUL && Double.isFinite(k) -> {
                Lin lb = lin(b, p, m);
                yield lb == null ? null : lb.times(k);
            }
            case Expr.Binary(Expr.Op op, Expr a, Expr.Const(double k)) when op == Expr.Op.MUL && Double.isFinite(k) -> {
                Lin la = lin(a, p, m);
                yield la == null ? null : la.times(k);
            }
            default -> null;
        };
    }
}
