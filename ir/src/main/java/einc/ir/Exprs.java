package einc.ir;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/** Small queries over expressions shared by every stage. */
public final class Exprs {

    private Exprs() {}

    /** Adds the index variables of {@code e} to {@code out}, in order of appearance. */
    public static void collectIndices(IndexExpr e, Collection<String> out) {
        switch (e) {
            case IndexExpr.Idx(String n) -> { if (!out.contains(n)) out.add(n); }
            case IndexExpr.Ext x -> {}
            case IndexExpr.Lit l -> {}
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                collectIndices(a, out);
                collectIndices(b, out);
            }
            case IndexExpr.INeg(IndexExpr a) -> collectIndices(a, out);
        }
    }

    /** Adds the indices whose extents {@code e} names ({@code M0} names {@code m0}) to {@code out}, in order of appearance. */
    public static void collectExtents(IndexExpr e, Collection<String> out) {
        switch (e) {
            case IndexExpr.Ext(String ix) -> { if (!out.contains(ix)) out.add(ix); }
            case IndexExpr.Idx x -> {}
            case IndexExpr.Lit l -> {}
            case IndexExpr.IBin(IndexExpr.IOp op, IndexExpr a, IndexExpr b) -> {
                collectExtents(a, out);
                collectExtents(b, out);
            }
            case IndexExpr.INeg(IndexExpr a) -> collectExtents(a, out);
        }
    }

    /**
     * The operands of a chain of {@code op}, left to right, added to {@code out}: {@code a * (b * c)}
     * under {@code MUL} gives a, b, c, and an expression that is not an {@code op} is its own one operand.
     */
    public static void collectOperands(Expr e, Expr.Op op, Collection<Expr> out) {
        if (e instanceof Expr.Binary(Expr.Op o, Expr a, Expr b) && o == op) {
            collectOperands(a, op, out);
            collectOperands(b, op, out);
        } else {
            out.add(e);
        }
    }

    /** Adds the index variables of {@code e} (in accesses and as values) to {@code out}, in order of appearance. */
    public static void collectIndices(Expr e, Collection<String> out) {
        forEach(e, node -> {
            switch (node) {
                case Expr.Access a -> a.indices().forEach(ix -> collectIndices(ix, out));
                case Expr.IndexValue(String n) -> { if (!out.contains(n)) out.add(n); }
                default -> {}
            }
        });
    }

    public static Set<String> indices(IndexExpr e) {
        Set<String> out = new LinkedHashSet<>();
        collectIndices(e, out);
        return out;
    }

    public static Set<String> indices(Expr e) {
        Set<String> out = new LinkedHashSet<>();
        collectIndices(e, out);
        return out;
    }

    /** The tensors read by {@code e}, in order of first appearance. */
    public static Set<String> tensorsRead(Expr e) {
        Set<String> out = new LinkedHashSet<>();
        forEach(e, node -> {
            if (node instanceof Expr.Access a) out.add(a.tensor());
        });
        return out;
    }

    /** Visits {@code e} and every subexpression, parents before children, left to right. */
    public static void forEach(Expr e, Consumer<Expr> visit) {
        visit.accept(e);
        switch (e) {
            case Expr.Unary(Expr.Fn fn, Expr x) -> forEach(x, visit);
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> {
                forEach(a, visit);
                forEach(b, visit);
            }
            case Expr.Select(Expr c, Expr a, Expr b) -> {
                forEach(c, visit);
                forEach(a, visit);
                forEach(b, visit);
            }
            default -> {}
        }
    }

    /**
     * Whether {@code e} is positive wherever it is a number whatever its argument: exp, softplus or
     * sigmoid of anything (up to underflow). A sum of such weights is 0 only over no term.
     */
    public static boolean isPositiveFunction(Expr e) {
        return e instanceof Expr.Unary(Expr.Fn fn, Expr x) && (fn == Expr.Fn.EXP || fn == Expr.Fn.SOFTPLUS || fn == Expr.Fn.SIGMOID);
    }

    /** Whether {@code e} is a condition (comparison, logic or negation) rather than a number. */
    public static boolean isCondition(Expr e) {
        return switch (e) {
            case Expr.Binary(Expr.Op op, Expr a, Expr b) -> op.isComparison() || op.isLogic();
            case Expr.Unary(Expr.Fn fn, Expr x) -> fn == Expr.Fn.NOT;
            default -> false;
        };
    }
}
