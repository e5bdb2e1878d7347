package einc.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints a cascade as valid {@code .ein} text that parses back to an equal IR: every rank written
 * (batch ranks included), minimal parentheses by precedence, numbers that re-parse exactly, and an
 * explicit {@code :: op(...)} only for reductions other than sum.
 */
public final class Printer {

    private Printer() {}

    /** The whole cascade, one declaration or statement per line. */
    public static String print(Cascade c) {
        StringBuilder sb = new StringBuilder();
        sb.append("cascade ").append(c.name()).append(" {\n");
        if (!c.batchRanks().isEmpty()) sb.append("  batch ").append(String.join(", ", c.batchRanks())).append('\n');
        if (!c.inputs().isEmpty()) sb.append("  input ").append(declarations(c.inputs())).append('\n');
        if (!c.outputs().isEmpty()) sb.append("  output ").append(declarations(c.outputs())).append('\n');
        for (Param p : c.params()) {
            sb.append("  param ").append(p.name());
            if (p.defaultValue() != null) sb.append(" = ").append(print(p.defaultValue()));
            sb.append('\n');
        }
        for (Split s : c.splits()) {
            sb.append("  split ").append(s.parent()).append(" = (").append(s.outer()).append(", ").append(s.inner())
                    .append(") by ").append(print(s.tile())).append('\n');
        }
        if (!c.statements().isEmpty()) sb.append('\n');
        for (Einsum e : c.statements()) sb.append("  ").append(print(c, e)).append('\n');
        sb.append("}\n");
        return sb.toString();
    }

    /** Several cascades, separated by a blank line. */
    public static String print(List<Cascade> cascades) {
        List<String> parts = new ArrayList<>();
        for (Cascade c : cascades) parts.add(print(c));
        return String.join("\n", parts);
    }

    /** One statement of {@code c} (the cascade tells which ranks an init fixes to 0). */
    public static String print(Cascade c, Einsum e) {
        StringBuilder sb = new StringBuilder();
        if (e.init()) sb.append("init ");
        sb.append(target(c, e));
        sb.append(" = ").append(print(e.body()));
        if (e.reduction() != null && e.reduction().op() != ReduceOp.SUM) {
            sb.append(" :: ").append(e.reduction().op().spelling()).append('(').append(String.join(", ", e.reduction().indices())).append(')');
        }
        if (e.where() != null) sb.append(" where ").append(print(e.where()));
        return sb.toString();
    }

    private static String target(Cascade c, Einsum e) {
        Expr.Access t = e.target();
        if (t.indices().isEmpty()) return t.tensor();
        List<Rank> ranks = c.tensor(t.tensor()).map(TensorDecl::ranks).orElse(List.of());
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < t.indices().size(); i++) {
            String ix = print(t.indices().get(i));
            boolean fixed = e.init() && i < ranks.size() && ranks.get(i).iterative();
            parts.add(fixed ? ix + " = 0" : ix);
        }
        return t.tensor() + "[" + String.join(", ", parts) + "]";
    }

    private static String declarations(List<TensorDecl> ts) {
        List<String> parts = new ArrayList<>();
        for (TensorDecl t : ts) {
            String s = t.ranks().isEmpty() ? t.name() : t.name() + "[" + String.join(", ", t.indexNames()) + "]";
            if (t.type() != DType.F32) s += ": " + t.type().spelling();
            parts.add(s);
        }
        return String.join(", ", parts);
    }

    // ------------------------------------------------------------------ expressions

    private static final int UNARY = 6;
    private static final int ATOM = 7;

    /** An expression with the fewest parentheses that keep its structure. */
    public static String print(Expr e) {
        return switch (e) {
            case Expr.Access(String tensor, List<IndexExpr> indices) -> indices.isEmpty() ? tensor
                    : tensor + "[" + String.join(", ", indices.stream().map(Printer::print).toList()) + "]";
            case Expr.Const(double v) -> number(v);
            case Expr.ParamRef(String name) -> name;
            case Expr.ExtentRef(String index) -> IndexDef.extentName(index);
            case Expr.IndexValue(String index) -> index;
            case Expr.Unary(Expr.Fn fn, Expr x) -> fn.isPrefixOperator()
                    ? fn.spelling + wrap(x, precedence(x) <= UNARY || x instanceof Expr.Const) // -(2) is not the literal -2
                    : fn.spelling + "(" + print(x) + ")";
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> op.isFunction()
                    ? op.spelling + "(" + print(a) + ", " + print(b) + ")"
                    : wrap(a, precedence(a) < op.precedence) + " " + op.spelling + " " + wrap(b, precedence(b) <= op.precedence);
            case Expr.Select(Expr c, Expr a, Expr b) -> "select(" + print(c) + ", " + print(a) + ", " + print(b) + ")";
        };
    }

    private static int precedence(Expr e) {
        return switch (e) {
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> op.isFunction() ? ATOM : op.precedence;
            case Expr.Unary(Expr.Fn fn, Expr x) -> fn.isPrefixOperator() ? UNARY : ATOM;
            case Expr.Const(double v) -> number(v).startsWith("-") || number(v).startsWith("(") ? UNARY : ATOM;
            default -> ATOM;
        };
    }

    private static String wrap(Expr e, boolean parens) {
        return parens ? "(" + print(e) + ")" : print(e);
    }

    /** An index expression with the fewest parentheses that keep its structure. */
    public static String print(IndexExpr e) {
        return switch (e) {
            case IndexExpr.Idx(String name) -> name;
            case IndexExpr.Ext(String index) -> IndexDef.extentName(index);
            case IndexExpr.Lit(long v) -> Long.toString(v);
            case IndexExpr.INeg(IndexExpr a) -> "-" + wrap(a, precedence(a) <= 3 || a instanceof IndexExpr.Lit); // -(1) is not the literal -1
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) ->
                    wrap(a, precedence(a) < op.precedence) + " " + op.symbol + " " + wrap(b, precedence(b) <= op.precedence);
        };
    }

    private static int precedence(IndexExpr e) {
        return switch (e) {
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> op.precedence;
            case IndexExpr.INeg n -> 3;
            case IndexExpr.Lit(long v) -> v < 0 ? 3 : 4;
            default -> 4;
        };
    }

    private static String wrap(IndexExpr e, boolean parens) {
        return parens ? "(" + print(e) + ")" : print(e);
    }

    /** A double as source text that re-parses to the same value: integers without ".0", inf and -inf. */
    public static String number(double v) {
        if (Double.isNaN(v)) return "(0 / 0)";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return 1 / v < 0 ? "-0" : "0";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }
}
