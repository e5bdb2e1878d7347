package einc.optimizer.rewrite;

import einc.ir.Expr;

import java.util.Map;

/** Evaluates index arithmetic and conditions at one point, for tests of the bounds. */
final class Eval {

    private Eval() {}

    static boolean truth(Expr e, Map<String, Long> at, Map<String, Long> extents) {
        return value(e, at, extents) != 0;
    }

    static double value(Expr e, Map<String, Long> at, Map<String, Long> extents) {
        return switch (e) {
            case Expr.Const(double v) -> v;
            case Expr.IndexValue(String i) -> at.get(i);
            case Expr.ExtentRef(String i) -> extents.get(i);
            case Expr.Unary(Expr.Fn fn, Expr x) -> switch (fn) {
                case NEG -> -value(x, at, extents);
                case NOT -> truth(x, at, extents) ? 0 : 1;
                default -> throw new IllegalArgumentException(fn.name());
            };
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> {
                double x = value(a, at, extents), y = value(b, at, extents);
                yield switch (op) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> x / y;
                    case LT -> x < y ? 1 : 0;
                    case LE -> x <= y ? 1 : 0;
                    case GT -> x > y ? 1 : 0;
                    case GE -> x >= y ? 1 : 0;
                    case EQ -> x == y ? 1 : 0;
                    case NE -> x != y ? 1 : 0;
                    case AND -> x != 0 && y != 0 ? 1 : 0;
                    case OR -> x != 0 || y != 0 ? 1 : 0;
                    case MIN -> Math.min(x, y);
                    case MAX -> Math.max(x, y);
                    case POW -> Math.pow(x, y);
                };
            }
            default -> throw new IllegalArgumentException(e.toString());
        };
    }
}
