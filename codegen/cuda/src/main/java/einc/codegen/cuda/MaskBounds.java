package einc.codegen.cuda;

import static einc.codegen.cuda.AttentionPattern.M;
import static einc.codegen.cuda.AttentionPattern.P;

import einc.ir.Expr;
import einc.ir.Exprs;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the mask atoms of an attention pattern as key bounds per query: {@code m < U(p)} and
 * {@code m >= L(p)} with U, L nondecreasing in p, so a query tile needs only the key tiles between
 * {@code L(first row)} and {@code U(last row)}, and a key tile is whole when its corners pass.
 * Atoms of other forms stay element-wise tests. Free of CUDA (a mask-to-bounds analysis).
 */
final class MaskBounds {

    /** How a key bound is rounded from the real-valued bound {@code value}. */
    enum Rounding { CEIL, FLOOR_PLUS_ONE }

    /** {@code m < rounding(value)} (upper) or {@code m >= rounding(value)} (lower); value nondecreasing in p. */
    record Bound(boolean upper, Expr value, Rounding rounding) {}

    final List<Bound> bounds = new ArrayList<>();
    /** Atoms that are not bounds: tested element-wise on every tile. */
    final List<Expr> others = new ArrayList<>();

    MaskBounds(List<Expr> atoms) {
        for (Expr a : atoms) {
            Bound b = bound(a);
            if (b == null) others.add(a);
            else bounds.add(b);
        }
    }

    private record Lin(int cm, Expr rest) {}

    private static Bound bound(Expr atom) {
        if (!(atom instanceof Expr.Binary(Expr.Op op, Expr a, Expr b)) || !op.isComparison() || op == Expr.Op.EQ || op == Expr.Op.NE) return null;
        Lin l = lin(new Expr.Binary(Expr.Op.SUB, a, b));
        if (l == null || (l.cm != 1 && l.cm != -1)) return null;
        // l.cm * m + rest OP 0
        Expr negRest = new Expr.Unary(Expr.Fn.NEG, l.rest);
        Bound out;
        if (l.cm == 1) {
            out = switch (op) {
                case LT -> new Bound(true, negRest, Rounding.CEIL);
                case LE -> new Bound(true, negRest, Rounding.FLOOR_PLUS_ONE);
                case GT -> new Bound(false, negRest, Rounding.FLOOR_PLUS_ONE);
                case GE -> new Bound(false, negRest, Rounding.CEIL);
                default -> null;
            };
        } else {
            out = switch (op) {
                case LT -> new Bound(false, l.rest, Rounding.FLOOR_PLUS_ONE);
                case LE -> new Bound(false, l.rest, Rounding.CEIL);
                case GT -> new Bound(true, l.rest, Rounding.CEIL);
                case GE -> new Bound(true, l.rest, Rounding.FLOOR_PLUS_ONE);
                default -> null;
            };
        }
        if (out == null) return null;
        Dir d = dir(out.value());
        return d == Dir.INC || d == Dir.CONST ? out : null;
    }

    private static boolean hasM(Expr e) {
        return Exprs.indices(e).contains(M);
    }

    private static Lin lin(Expr e) {
        if (!hasM(e)) return new Lin(0, e);
        return switch (e) {
            case Expr.IndexValue(String n) when n.equals(M) -> new Lin(1, new Expr.Const(0));
            case Expr.Binary(Expr.Op op, Expr a, Expr b) when op == Expr.Op.ADD || op == Expr.Op.SUB -> {
                Lin la = lin(a), lb = lin(b);
                if (la == null || lb == null) yield null;
                yield op == Expr.Op.ADD ? new Lin(la.cm + lb.cm, new Expr.Binary(Expr.Op.ADD, la.rest, lb.rest))
                        : new Lin(la.cm - lb.cm, new Expr.Binary(Expr.Op.SUB, la.rest, lb.rest));
            }
            case Expr.Unary(Expr.Fn fn, Expr x) when fn == Expr.Fn.NEG -> {
                Lin lx = lin(x);
                yield lx == null ? null : new Lin(-lx.cm, new Expr.Unary(Expr.Fn.NEG, lx.rest));
            }
            default -> null;
        };
    }

    enum Dir { CONST, INC, DEC, UNKNOWN }

    static Dir dir(Expr e) {
        if (!Exprs.indices(e).contains(P)) return hasM(e) ? Dir.UNKNOWN : Dir.CONST;
        return switch (e) {
            case Expr.IndexValue(String n) -> n.equals(P) ? Dir.INC : Dir.UNKNOWN;
            case Expr.Unary(Expr.Fn fn, Expr x) when fn == Expr.Fn.NEG -> flip(dir(x));
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> switch (op) {
                case ADD, MIN, MAX -> join(dir(a), dir(b));
                case SUB -> join(dir(a), flip(dir(b)));
                case MUL -> a instanceof Expr.Const(double v) ? scale(dir(b), v) : b instanceof Expr.Const(double v) ? scale(dir(a), v) : Dir.UNKNOWN;
                case DIV -> b instanceof Expr.Const(double v) ? scale(dir(a), v) : Dir.UNKNOWN;
                default -> Dir.UNKNOWN;
            };
            default -> Dir.UNKNOWN;
        };
    }

    private static Dir scale(Dir d, double v) {
        return v > 0 ? d : v < 0 ? flip(d) : Dir.CONST;
    }

    private static Dir flip(Dir d) {
        return switch (d) {
            case INC -> Dir.DEC;
            case DEC -> Dir.INC;
            default -> d;
        };
    }

    private static Dir join(Dir a, Dir b) {
        if (a == Dir.CONST) return b;
        if (b == Dir.CONST) return a;
        return a == b ? a : Dir.UNKNOWN;
    }
}
