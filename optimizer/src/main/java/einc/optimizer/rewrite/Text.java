package einc.optimizer.rewrite;

import einc.ir.Expr;
import einc.ir.IndexDef;
import einc.ir.IndexExpr;

import java.util.List;
import java.util.stream.Collectors;

/** Renders expressions in {@code .ein} syntax for the lines a rewrite reports. */
final class Text {

    private Text() {}

    static String of(Expr e) {
        return of(e, 0);
    }

    private static String of(Expr e, int outer) {
        return switch (e) {
            case Expr.Const(double v) -> v == Double.POSITIVE_INFINITY ? "inf" : v == Double.NEGATIVE_INFINITY ? "-inf"
                    : v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
            case Expr.ParamRef(String n) -> n;
            case Expr.ExtentRef(String i) -> IndexDef.extentName(i);
            case Expr.IndexValue(String i) -> i;
            case Expr.Access a -> a.tensor() + "[" + a.indices().stream().map(Text::of).collect(Collectors.joining(", ")) + "]";
            case Expr.Unary(Expr.Fn fn, Expr x) -> fn.isPrefixOperator() ? paren(fn.spelling + of(x, 6), outer > 6) : fn.spelling + "(" + of(x, 0) + ")";
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> op.isFunction() ? op.spelling + "(" + of(a, 0) + ", " + of(b, 0) + ")"
                    : paren(of(a, op.precedence) + " " + op.spelling + " " + of(b, op.precedence + 1), outer > op.precedence);
            case Expr.Select(Expr c, Expr a, Expr b) -> "select(" + of(c, 0) + ", " + of(a, 0) + ", " + of(b, 0) + ")";
        };
    }

    static String of(IndexExpr e) {
        return of(e, 0);
    }

    private static String of(IndexExpr e, int outer) {
        return switch (e) {
            case IndexExpr.Idx(String n) -> n;
            case IndexExpr.Ext(String i) -> IndexDef.extentName(i);
            case IndexExpr.Lit(long v) -> Long.toString(v);
            case IndexExpr.INeg(IndexExpr a) -> "-" + of(a, 3);
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) ->
                    paren(of(a, op.precedence) + " " + op.symbol + " " + of(b, op.precedence + 1), outer > op.precedence);
        };
    }

    static String indices(List<IndexExpr> ixs) {
        return ixs.stream().map(Text::of).collect(Collectors.joining(", "));
    }

    private static String paren(String s, boolean yes) {
        return yes ? "(" + s + ")" : s;
    }
}
